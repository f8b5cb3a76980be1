"""Durable consumers: named readers of the event log whose cursor is in the database.

A plugin registers a consumer (``pds_register_consumers``) with a name and an async
handler of one event or of a batch. :class:`DurableConsumers` (``pds.consumers``) runs
every registered consumer in the background once the server has started:

- **In order, at least once.** The consumer reads the event log after its cursor, in
  ``seq`` order, and moves the cursor only after its handler returned. A handler that
  raises is logged and called again with the same event, after a wait that doubles up
  to ``sync.consumer_retry_max_delay_s``; the event is never skipped. After a crash the
  events handled since the last saved cursor are handled again, so handlers must be
  idempotent.
- **From any process, one at a time.** A lease in the consumer's row
  (:mod:`~exprsn_pds.events.consumer_store`) lets one process run it; the others stand
  by and take over within ``sync.consumer_lease_ttl_s`` when it stops renewing.
- **Woken at once, polled as a fallback.** New events on the firehose hub wake the
  consumers; they also look every ``sync.consumer_poll_interval_s``, so a lost
  notification only delays an event.
- **Behind the retained log.** Events the purger deleted before a consumer handled them
  cannot be delivered: the consumer logs an error naming how many, counts them in its
  ``missed_events`` and goes on from the oldest retained event (as ``subscribeRepos``
  does for an outdated cursor); :meth:`DurableConsumers.lag` shows both.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from exprsn_pds.events.consumer_store import (
    ConsumerLag,
    StoredEvent,
    acquire_lease,
    consumer_lag,
    ensure_consumer,
    events_after,
    load_cursor,
    release_lease,
    renew_lease,
    save_cursor,
)
from exprsn_pds.events.errors import ConsumerTooSlow, EventStreamError, StreamInterrupted
from exprsn_pds.events.hub import FirehoseHub
from exprsn_pds.events.store import head_seq
from exprsn_pds.events.types import AnyEvent, decode_event
from exprsn_pds.logs import get_logger
from exprsn_pds.storage import Database
from exprsn_pds.tasks import stop_task

DEFAULT_MAX_EVENTS: Final = 100
LEASE_RENEWALS_PER_TTL: Final = 3
#: How the consumers' wake-up subscription is named to the hub's per-client cap.
HUB_CLIENT: Final = "durable-consumers"
NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

StartAt = Literal["beginning", "now"]
START_POSITIONS: Final[tuple[StartAt, ...]] = ("beginning", "now")
EventHandler = Callable[[AnyEvent], Awaitable[None]]
BatchHandler = Callable[[Sequence[AnyEvent]], Awaitable[None]]

log = get_logger(__name__)


@dataclass(frozen=True)
class Consumer:
    """A registered durable consumer.

    Exactly one handler is set: ``on_event`` takes one event, ``on_batch`` a list of up
    to ``max_events`` events in ``seq`` order. ``start_at`` places a consumer seen for
    the first time: before the oldest retained event (``"beginning"``) or after the
    newest (``"now"``).
    """

    name: str
    plugin: str
    on_event: EventHandler | None = None
    on_batch: BatchHandler | None = None
    start_at: StartAt = "beginning"
    max_events: int = DEFAULT_MAX_EVENTS

    def __post_init__(self) -> None:
        if (self.on_event is None) == (self.on_batch is None):
            raise ValueError(f"consumer {self.name!r} needs exactly one of on_event, on_batch")
        if not NAME_PATTERN.match(self.name):
            raise ValueError(
                f"consumer name {self.name!r} must be 1-128 letters, digits and . _ : -"
                " (starting with a letter or digit)"
            )
        if self.start_at not in START_POSITIONS:
            raise ValueError(f"start_at must be one of {START_POSITIONS}, got {self.start_at!r}")
        if self.max_events < 1:
            raise ValueError(f"max_events must be at least 1, got {self.max_events}")


@dataclass(frozen=True)
class ConsumerTimings:
    """The ``sync.consumer_*`` settings: how often to poll, lease, retry and stop."""

    poll_interval_s: float
    lease_ttl_s: float
    retry_first_delay_s: float
    retry_max_delay_s: float
    stop_timeout_s: float

    @property
    def renew_interval_s(self) -> float:
        """How often a lease is renewed (and a standby process tries to take it)."""
        return self.lease_ttl_s / LEASE_RENEWALS_PER_TTL

    def retry_delay_s(self, failures: int) -> float:
        """The wait after the ``failures``-th failure in a row."""
        return float(min(self.retry_first_delay_s * 2 ** (failures - 1), self.retry_max_delay_s))


class ConsumerRunner:
    """Runs one consumer in this process whenever this process holds its lease."""

    def __init__(
        self, consumer: Consumer, owner: str, timings: ConsumerTimings, database: Database
    ) -> None:
        self._consumer = consumer
        self._database = database
        self._owner = owner
        self._timings = timings
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._holds_lease = False
        self._failures = 0

    @property
    def name(self) -> str:
        """The consumer's name."""
        return self._consumer.name

    @property
    def holds_lease(self) -> bool:
        """Whether this runner holds the consumer's lease (and so runs it) now."""
        return self._holds_lease

    def wake(self) -> None:
        """Look at the event log now (new events were announced)."""
        self._wake.set()

    def request_stop(self) -> None:
        """Stop after the event being handled (the cursor saved, the lease released)."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Take the lease when free and consume until :meth:`request_stop`."""
        while not self._stopping.is_set():
            try:
                await ensure_consumer(self.name, from_now=self._consumer.start_at == "now")
                if await acquire_lease(
                    self._database.client, self.name, self._owner, ttl_s=self._timings.lease_ttl_s
                ):
                    self._failures = 0
                    await self._run_leased()
                else:
                    await self._pause(self._timings.renew_interval_s)
            except Exception:  # e.g. the database is briefly unreachable; try again
                self._failures += 1
                delay_s = self._timings.retry_delay_s(self._failures)
                log.exception("durable consumer failed", consumer=self.name, retry_in_s=delay_s)
                await self._pause(delay_s)

    async def _run_leased(self) -> None:
        log.info("durable consumer running", consumer=self.name, owner=self._owner)
        self._holds_lease = True
        keeper = asyncio.create_task(self._keep_lease())
        try:
            cursor = await load_cursor(self.name)
            while self._holds_lease and not self._stopping.is_set():
                self._wake.clear()  # before reading: an event announced meanwhile wakes us
                page = await events_after(cursor, limit=self._consumer.max_events)
                if not page:
                    await self._wait_for_events()
                    continue
                cursor, failed = await self._handle(cursor, page)
                if failed:
                    await self._pause(self._timings.retry_delay_s(self._failures))
        finally:
            await stop_task(keeper)
            if self._holds_lease:
                self._holds_lease = False
                await release_lease(self._database.client, self.name, self._owner)

    async def _handle(self, cursor: int, page: list[StoredEvent]) -> tuple[int, bool]:
        """Hand ``page`` to the handler; the new cursor, and whether the handler failed."""
        missed = page[0].seq - cursor - 1
        if missed > 0:
            log.error(
                "durable consumer is behind the retained event log: events were purged"
                " before it handled them; it goes on from the oldest retained event",
                consumer=self.name,
                cursor=cursor,
                oldest_retained_seq=page[0].seq,
                missed_events=missed,
            )
        done = cursor
        failed = False
        try:
            events = [decode_event(stored.frame) for stored in page]
            if self._consumer.on_batch is not None:
                await self._consumer.on_batch(events)
                done = page[-1].seq
            elif self._consumer.on_event is not None:
                for event in events:
                    if self._stopping.is_set():
                        break
                    await self._consumer.on_event(event)
                    done = event.seq
        except Exception:
            failed = True
            self._failures += 1
            log.exception(
                "durable consumer handler failed; it gets the event again",
                consumer=self.name,
                seq=next(stored.seq for stored in page if stored.seq > done),
                attempt=self._failures,
                retry_in_s=self._timings.retry_delay_s(self._failures),
            )
        finally:  # also when cancelled (a stop that timed out): keep what was handled
            cursor = await self._save(cursor, done, missed)
        if not failed:
            self._failures = 0
        return cursor, failed

    async def _save(self, cursor: int, done: int, missed: int) -> int:
        if done == cursor:
            return cursor
        saved = await save_cursor(
            self._database.client,
            self.name,
            self._owner,
            last_seq=done,
            missed_events=max(missed, 0),
        )
        if not saved:
            self._lost_lease()
        return done

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self._timings.renew_interval_s)
            try:
                held = await renew_lease(
                    self._database.client, self.name, self._owner, ttl_s=self._timings.lease_ttl_s
                )
            except Exception:  # the database is briefly unreachable; the next renewal may work
                log.exception("durable consumer could not renew its lease", consumer=self.name)
                continue
            if not held:
                self._lost_lease()
                return

    def _lost_lease(self) -> None:
        if self._holds_lease:
            log.warning("durable consumer lost its lease to another process", consumer=self.name)
        self._holds_lease = False
        self._wake.set()

    async def _wait_for_events(self) -> None:
        try:
            async with asyncio.timeout(self._timings.poll_interval_s):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def _pause(self, delay_s: float) -> None:
        try:
            async with asyncio.timeout(delay_s):
                await self._stopping.wait()
        except TimeoutError:
            pass


class DurableConsumers:
    """The durable consumers registered in this process (``pds.consumers``).

    :meth:`start` runs each in the background, woken by the events ``hub`` announces;
    :meth:`stop` lets each finish the event it is handling, saves its cursor and
    releases its lease; :meth:`lag` tells how far behind a consumer is.
    """

    def __init__(
        self,
        consumers: Sequence[Consumer],
        hub: FirehoseHub,
        timings: ConsumerTimings,
        database: Database,
    ) -> None:
        self._consumers = tuple(consumers)
        self._database = database
        self._hub = hub
        self._timings = timings
        self._runners: list[ConsumerRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncio.Task[None] | None = None
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"

    @property
    def names(self) -> list[str]:
        """The names of the registered consumers."""
        return [consumer.name for consumer in self._consumers]

    def start(self) -> None:
        """Run every registered consumer in the background (none: nothing to do)."""
        if self._tasks:
            raise RuntimeError("the durable consumers are already started")
        if not self._consumers:
            return
        self._runners = [
            ConsumerRunner(consumer, self.owner, self._timings, self._database)
            for consumer in self._consumers
        ]
        self._tasks = [asyncio.create_task(runner.run()) for runner in self._runners]
        self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        """Stop every consumer: the running handler may finish, then the cursor is saved.

        A handler still running after ``sync.consumer_stop_timeout_s`` is cancelled
        (its event is handled again next time).
        """
        listener, self._listener = self._listener, None
        await stop_task(listener)
        tasks, self._tasks = self._tasks, []
        for runner in self._runners:
            runner.request_stop()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self._timings.stop_timeout_s)
            for task, runner in zip(tasks, self._runners, strict=True):
                if task in pending:
                    log.warning(
                        "durable consumer did not stop in time; cancelling its handler",
                        consumer=runner.name,
                        stop_timeout_s=self._timings.stop_timeout_s,
                    )
                    await stop_task(task)
        self._runners = []

    async def lag(self, name: str) -> ConsumerLag | None:
        """How far consumer ``name`` is behind (``None``: it never ran on this database).

        Any process may ask, whichever runs the consumer.
        """
        return await consumer_lag(self._database.client, name)

    async def head_seq(self) -> int:
        """The ``seq`` of the newest event in the log (0 before the first).

        A rebuild from the repos stamps what it read with it: every event up to it is
        already in the repos it reads afterwards.
        """
        return await head_seq()

    async def _listen(self) -> None:
        while True:
            try:
                async with self._hub.subscribe(HUB_CLIENT) as live:
                    self._wake_all()  # events may have come before the subscription
                    while True:
                        try:
                            await live.get()
                        except ConsumerTooSlow:
                            live.forgive_overflow()  # a wake-up is all it takes
                        self._wake_all()
            except StreamInterrupted:
                self._wake_all()  # announcements may have been lost meanwhile
            except EventStreamError as error:  # e.g. the hub's subscriber cap is reached
                log.warning(
                    "durable consumers get no wake-ups from the firehose hub; polling only",
                    reason=str(error),
                    poll_interval_s=self._timings.poll_interval_s,
                )
            await asyncio.sleep(self._timings.poll_interval_s)

    def _wake_all(self) -> None:
        for runner in self._runners:
            runner.wake()
