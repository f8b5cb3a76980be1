"""Durable consumers: in order, at least once, resumed, one runner per lease, lag measured.

Every test runs on SQLite with the in-process cache and on PostgreSQL with Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from exprsn_pds import ConsumerRegistrar, hookimpl
from exprsn_pds.config import Settings
from exprsn_pds.events import AnyEvent as Event
from exprsn_pds.events import EventLog, FirehoseHub, IdentityEvent, purge_events
from exprsn_pds.events.consumers import Consumer, ConsumerRunner, ConsumerTimings
from exprsn_pds.events.models import EventConsumer, RepoEvent
from exprsn_pds.pds import Pds
from exprsn_pds.registrars import PluginStartupError

DID = "did:plc:consumertest0000000000000"
WAIT_TIMEOUT_S = 20.0
NEVER_S = 3600.0
FAST = {
    "consumer_poll_interval_s": NEVER_S,  # wake-ups come from the hub
    "consumer_lease_ttl_s": 3.0,
    "consumer_retry_first_delay_s": 0.01,
    "consumer_retry_max_delay_s": 0.05,
    "consumer_stop_timeout_s": 5.0,
}


class Probe:
    """A plugin with one durable consumer that records the ``seq`` of what it handled."""

    def __init__(
        self,
        name: str = "probe",
        *,
        start_at: str = "beginning",
        batch: bool = False,
        fail_on: dict[int, int] | None = None,
    ) -> None:
        self.name = name
        self.start_at = start_at
        self.batch = batch
        self.handled: list[int] = []
        self.entered: list[int] = []
        self.calls: dict[int, int] = {}
        self.fail_on = dict(fail_on or {})  # seq -> how many calls fail before it passes
        self.gate = asyncio.Event()
        self.gate.set()

    @hookimpl
    def pds_register_consumers(self, register: ConsumerRegistrar) -> None:
        if self.batch:
            register.add_batch(self.name, self.on_batch, start_at=self.start_at)  # type: ignore[arg-type]
        else:
            register.add(self.name, self.on_event, start_at=self.start_at)  # type: ignore[arg-type]

    async def on_event(self, event: Event) -> None:
        self.entered.append(event.seq)
        await self.gate.wait()
        self.calls[event.seq] = self.calls.get(event.seq, 0) + 1
        if self.fail_on.get(event.seq, 0) >= self.calls[event.seq]:
            raise RuntimeError(f"handler fails on {event.seq}")
        self.handled.append(event.seq)

    async def on_batch(self, events: Sequence[Event]) -> None:
        for event in events:
            self.calls[event.seq] = self.calls.get(event.seq, 0) + 1
        if any(self.fail_on.get(e.seq, 0) >= self.calls[e.seq] for e in events):
            raise RuntimeError("batch fails")
        self.handled.extend(event.seq for event in events)


ServerFactory = Callable[..., Awaitable[Pds]]


@pytest.fixture
async def server(settings_factory: Callable[..., Settings]) -> AsyncIterator[ServerFactory]:
    """``await start(*plugins, **sync)``: a started Pds with those plugins (stopped after)."""
    async with AsyncExitStack() as stack:

        async def start(*plugins: Probe, **sync: Any) -> Pds:
            settings = settings_factory(sync={**FAST, **sync})
            pds = Pds(settings, extra_plugins=[(f"probe{n}", p) for n, p in enumerate(plugins)])
            await pds.start()
            stack.push_async_callback(pds.stop)  # stopping twice is harmless
            return pds

        yield start


async def write_events(pds: Pds, count: int, *, announce: bool = True) -> list[int]:
    """``count`` committed events, as a write path makes them; their ``seq``."""
    # Through a hub that is not started, the announcement is lost (and logged).
    event_log = pds.event_log if announce else EventLog(pds.database, FirehoseHub())
    seqs = []
    for _ in range(count):
        async with event_log.unit() as unit, unit.transaction():
            unit.add(IdentityEvent(did=DID))
        seqs.extend(event.seq for event, _ in unit.committed)
    return seqs


async def until(condition: Callable[[], Any]) -> None:
    async with asyncio.timeout(WAIT_TIMEOUT_S):
        while not await _value(condition()):
            await asyncio.sleep(0.01)


async def _value(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


async def caught_up(pds: Pds, name: str) -> bool:
    lag = await pds.consumers.lag(name)
    return lag is not None and lag.events_behind == 0


# --- Order and delivery ---------------------------------------------------------------------


async def test_a_consumer_gets_every_event_in_seq_order(server: ServerFactory) -> None:
    probe = Probe()
    pds = await server(probe)
    seqs = await write_events(pds, 8)
    await until(lambda: len(probe.handled) == 8)
    assert probe.handled == seqs


async def test_a_new_consumer_starts_at_the_beginning_of_the_retained_log(
    server: ServerFactory,
) -> None:
    writer = await server()
    before = await write_events(writer, 3)
    await writer.stop()
    probe = Probe()
    pds = await server(probe)
    after = await write_events(pds, 2)
    await until(lambda: len(probe.handled) == 5)
    assert probe.handled == before + after


async def test_a_new_consumer_may_start_from_now(server: ServerFactory) -> None:
    writer = await server()
    await write_events(writer, 3)
    await writer.stop()
    probe = Probe(start_at="now")
    pds = await server(probe)
    await until(lambda: caught_up(pds, "probe"))
    after = await write_events(pds, 2)
    await until(lambda: len(probe.handled) == 2)
    assert probe.handled == after


async def test_a_batch_consumer_gets_the_events_in_order(server: ServerFactory) -> None:
    writer = await server()
    before = await write_events(writer, 5)
    await writer.stop()
    probe = Probe(batch=True)
    pds = await server(probe)
    after = await write_events(pds, 3)
    await until(lambda: len(probe.handled) == 8)
    assert probe.handled == before + after


async def test_the_poll_finds_events_whose_announcement_was_lost(server: ServerFactory) -> None:
    probe = Probe()
    pds = await server(probe, consumer_poll_interval_s=0.05)
    seqs = await write_events(pds, 3, announce=False)
    await until(lambda: len(probe.handled) == 3)
    assert probe.handled == seqs


# --- At least once -----------------------------------------------------------------------


async def test_a_failing_handler_gets_the_same_event_again_and_nothing_is_skipped(
    server: ServerFactory,
) -> None:
    probe = Probe()
    pds = await server(probe)
    seqs = await write_events(pds, 2)
    probe.fail_on = {seqs[1] + 2: 3}  # the fourth event fails three times
    seqs += await write_events(pds, 3)
    await until(lambda: len(probe.handled) == 5)
    assert probe.handled == seqs
    assert probe.calls[seqs[3]] == 4
    assert all(probe.calls[seq] == 1 for seq in seqs if seq != seqs[3])
    await until(lambda: caught_up(pds, "probe"))


async def test_a_failing_batch_is_handed_over_again(server: ServerFactory) -> None:
    writer = await server()
    seqs = await write_events(writer, 4)
    await writer.stop()
    probe = Probe(batch=True, fail_on={seqs[2]: 2})
    await server(probe)
    await until(lambda: len(probe.handled) == 4)
    assert probe.handled == seqs
    assert probe.calls[seqs[0]] == 3


# --- Restart -----------------------------------------------------------------------------


async def test_a_restarted_server_resumes_after_its_cursor(server: ServerFactory) -> None:
    probe = Probe()
    pds = await server(probe)
    handled = await write_events(pds, 3)
    await until(lambda: len(probe.handled) == 3)
    await pds.stop()
    writer = await server()
    missed_while_down = await write_events(writer, 2)
    await writer.stop()
    again = Probe()
    pds = await server(again)
    live = await write_events(pds, 2)
    await until(lambda: len(again.handled) == 4)
    assert probe.handled == handled
    assert again.handled == missed_while_down + live


async def test_stopping_saves_the_cursor_and_releases_the_lease(server: ServerFactory) -> None:
    probe = Probe()
    pds = await server(probe)
    seqs = await write_events(pds, 2)
    await until(lambda: len(probe.handled) == 2)
    await pds.stop()
    row = await _row_after_stop(server, "probe")
    assert (row.last_seq, row.owner, row.lease_expires_ms) == (seqs[-1], None, 0)


async def test_a_handler_still_running_at_the_stop_timeout_is_cancelled(
    server: ServerFactory,
) -> None:
    probe = Probe()
    pds = await server(probe, consumer_stop_timeout_s=0.1)
    first = await write_events(pds, 1)
    await until(lambda: caught_up(pds, "probe"))
    probe.gate.clear()  # the next event's handler never returns
    stuck = await write_events(pds, 1)
    await until(lambda: probe.entered[-1] == stuck[0])
    await pds.stop()
    row = await _row_after_stop(server, "probe")
    assert (row.last_seq, row.owner) == (first[0], None)
    assert probe.handled == first


async def _row_after_stop(server: ServerFactory, name: str) -> EventConsumer:
    await server()
    return await EventConsumer.get(name=name)


# --- One runner at a time ----------------------------------------------------------------


def _timings(**changes: float) -> ConsumerTimings:
    values = {
        "poll_interval_s": 0.02,
        "lease_ttl_s": 3.0,
        "retry_first_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
        "stop_timeout_s": 5.0,
    }
    return ConsumerTimings(**(values | changes))


async def test_of_two_runners_sharing_a_database_one_runs_the_consumer(
    server: ServerFactory,
) -> None:
    pds = await server()
    handled: list[tuple[str, int]] = []

    def runner(owner: str) -> ConsumerRunner:
        async def on_event(event: Event) -> None:
            handled.append((owner, event.seq))

        consumer = Consumer(name="shared", plugin="test", on_event=on_event)
        return ConsumerRunner(consumer, owner, _timings(), pds.database)

    first, second = runner("first"), runner("second")
    tasks = [asyncio.create_task(first.run())]
    await until(lambda: _owner_is("shared", "first"))
    tasks.append(asyncio.create_task(second.run()))
    try:
        seqs = await write_events(pds, 5)
        await until(lambda: len(handled) == 5)
        assert handled == [("first", seq) for seq in seqs]
        lag = await pds.consumers.lag("shared")
        assert lag is not None and lag.owner == "first"
        first.request_stop()
        await tasks[0]
        more = await write_events(pds, 3)
        await until(lambda: len(handled) == 8)
        assert handled[5:] == [("second", seq) for seq in more]
    finally:
        for one in (first, second):
            one.request_stop()
        await asyncio.gather(*tasks)


async def test_a_runner_whose_lease_was_taken_stops_moving_the_cursor(
    server: ServerFactory,
) -> None:
    pds = await server()
    handled: list[int] = []
    release = asyncio.Event()

    async def on_event(event: Event) -> None:
        await release.wait()
        handled.append(event.seq)

    runner = ConsumerRunner(
        Consumer(name="taken", plugin="test", on_event=on_event), "old", _timings(), pds.database
    )
    task = asyncio.create_task(runner.run())
    try:
        seqs = await write_events(pds, 2)
        await until(lambda: _owner_is("taken", "old"))
        await EventConsumer.filter(name="taken").update(owner="new")
        release.set()
        await until(lambda: not runner.holds_lease)
        row = await EventConsumer.get(name="taken")
        assert row.owner == "new" and row.last_seq < seqs[0]
    finally:
        runner.request_stop()
        await task


async def _owner_is(name: str, owner: str) -> bool:
    row = await EventConsumer.get_or_none(name=name)
    return row is not None and row.owner == owner


# --- One runner among processes sharing PostgreSQL -------------------------------------------

OWNER_LINE = "OWNER "
RECORDER_CHILD = """
import asyncio, json, signal, sys
from exprsn_pds import hookimpl
from exprsn_pds.config import load_settings
from exprsn_pds.pds import Pds

class Recorder:
    @hookimpl
    def pds_register_consumers(self, register):
        register.add("shared", self.on_event)

    async def on_event(self, event):
        with open(sys.argv[2], "a") as handled:
            handled.write(f"{event.seq}\\n")

async def main():
    pds = Pds(load_settings(environ={}, overrides=json.loads(sys.argv[1])),
              extra_plugins=[("recorder", Recorder())])
    await pds.start()
    print("OWNER", pds.consumers.owner, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await pds.stop()

asyncio.run(main())
"""


def _start_recorder(settings: Settings, handled: Path) -> tuple[subprocess.Popen[str], str]:
    """A server process running consumer ``shared``, which appends each ``seq`` to ``handled``;
    and its lease owner name."""
    handled.touch()
    process = subprocess.Popen(
        [sys.executable, "-c", RECORDER_CHILD, json.dumps(settings.raw), str(handled)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # the server's log lines, then its owner name
        if line.startswith(OWNER_LINE):
            return process, line.removeprefix(OWNER_LINE).strip()
    raise RuntimeError("the recorder process exited before it started")


def _handled(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


@pytest.mark.parametrize("backend_config", ["postgres+redis"], indirect=True)
async def test_of_two_processes_sharing_postgresql_one_runs_a_consumer_until_killed(
    server: ServerFactory, settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    pds = await server()
    files = [tmp_path / f"handled{n}" for n in range(2)]
    children = [
        _start_recorder(
            settings_factory(server={"data_directory": str(tmp_path / f"child{n}")}, sync=FAST),
            files[n],
        )
        for n in range(2)
    ]
    try:
        seqs = await write_events(pds, 10)
        await until(lambda: caught_up(pds, "shared"))
        lag = await pds.consumers.lag("shared")
        assert lag is not None
        holder = [owner for _, owner in children].index(lag.owner)
        assert _handled(files[holder]) == seqs
        assert _handled(files[1 - holder]) == []
        children[holder][0].kill()  # SIGKILL: the lease is left to expire
        children[holder][0].wait()
        more = await write_events(pds, 5)
        await until(lambda: caught_up(pds, "shared"))
        assert _handled(files[1 - holder]) == more
        assert _handled(files[holder]) == seqs
    finally:
        for process, _ in children:
            if process.poll() is None:
                process.terminate()
                process.wait()


# --- Lag and retention ---------------------------------------------------------------------


async def test_lag_counts_the_unhandled_events_and_dates_the_oldest(server: ServerFactory) -> None:
    probe = Probe()
    pds = await server(probe)
    await write_events(pds, 1)
    await until(lambda: caught_up(pds, "probe"))
    probe.gate.clear()
    seqs = await write_events(pds, 4)
    lag = await pds.consumers.lag("probe")
    oldest = await RepoEvent.get(seq=seqs[0])
    assert lag is not None
    assert lag.events_behind == 4 and lag.oldest_unhandled_at == oldest.created_at
    assert not lag.behind_retained_log and lag.missed_events == 0
    assert lag.owner == pds.consumers.owner
    probe.gate.set()
    await until(lambda: caught_up(pds, "probe"))
    lag = await pds.consumers.lag("probe")
    assert lag is not None and lag.oldest_unhandled_at is None
    assert await pds.consumers.lag("never-ran") is None


async def test_a_consumer_behind_the_retained_log_says_so_and_counts_what_it_missed(
    server: ServerFactory,
) -> None:
    probe = Probe()
    pds = await server(probe)
    handled = await write_events(pds, 1)
    await until(lambda: len(probe.handled) == 1)
    await pds.stop()
    writer = await server()
    purged = await write_events(writer, 3)
    await purge_events(older_than=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    lag = await writer.consumers.lag("probe")
    assert lag is not None
    assert lag.behind_retained_log and lag.events_behind == 3
    await writer.stop()
    again = Probe()
    pds = await server(again)
    live = await write_events(pds, 1)
    await until(lambda: caught_up(pds, "probe"))
    assert probe.handled == handled
    assert again.handled == [purged[-1], *live]
    lag = await pds.consumers.lag("probe")
    assert lag is not None
    assert lag.missed_events == 2 and not lag.behind_retained_log


# --- Registration ------------------------------------------------------------------------


def test_a_consumer_name_registered_twice_stops_start_up(
    settings_factory: Callable[..., Settings],
) -> None:
    with pytest.raises(PluginStartupError, match="consumer 'probe' is already registered"):
        Pds(settings_factory(), extra_plugins=[("one", Probe()), ("two", Probe())])


def test_a_bad_consumer_name_stops_start_up(settings_factory: Callable[..., Settings]) -> None:
    with pytest.raises(PluginStartupError, match="consumer name"):
        Pds(settings_factory(), extra_plugins=[("bad", Probe(name="no spaces"))])
