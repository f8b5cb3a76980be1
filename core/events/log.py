"""``EventLog``: the one path every event takes, from its transaction to the plugins.

Whoever owns a change that makes events opens a unit of work and, in it, the
transaction of the change::

    async with pds.event_log.unit() as unit:
        async with unit.transaction() as connection:
            ...  # the change itself
            unit.add(AccountEvent(did=did, active=False, status="deactivated"))
        ...  # after the commit, still in the unit (e.g. releasing a repo lock)

At the end of each :meth:`EventUnit.transaction` the events added in it are sequenced
in that transaction (:class:`~exprsn_pds.events.sequencer.Sequencer`: the global lock,
the next number, the frame encoded once and stored); a transaction that rolls back
leaves none. When the unit ends (also when something after a commit raises), the events
its transactions committed are, in ``seq`` order, published to every process's
subscribers; then the crawlers are told if a ``#commit`` or ``#sync`` was among them;
then the listener (``pds_on_event``) sees each one. Nothing after the commit can fail
the change: it is already in the log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.events.hub import FirehoseHub
from exprsn_pds.events.sequencer import Sequencer
from exprsn_pds.events.types import AnyEvent, CommitEvent, EventFrame, SyncEvent
from exprsn_pds.logs import get_logger
from exprsn_pds.storage import Database

#: Called once per committed event, after it is published.
EventListener = Callable[[AnyEvent], Awaitable[None]]

log = get_logger(__name__)


async def _no_listener(_event: AnyEvent) -> None:
    return None


class EventUnit:
    """The events of one change: added inside its transaction(s), published after them."""

    def __init__(self, database: Database, sequencer: Sequencer) -> None:
        self._database = database
        self._sequencer = sequencer
        self._connection: BaseDBAsyncClient | None = None
        self._pending: list[AnyEvent] = []
        self._sequenced: list[tuple[AnyEvent, bytes]] = []
        self.committed: list[tuple[AnyEvent, bytes]] = []
        """Each event committed so far, with its frame, in ``seq`` order."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BaseDBAsyncClient]:
        """A database transaction whose added events are sequenced at its end."""
        if self._connection is not None:
            raise RuntimeError("this unit already has a transaction open")
        try:
            async with self._database.transaction() as connection:
                self._connection = connection
                yield connection
                await self.flush()
        finally:
            self._connection = None
            sequenced, self._sequenced = self._sequenced, []
            self._pending.clear()
        self.committed.extend(sequenced)

    def add(self, event: AnyEvent) -> None:
        """Add ``event`` (not yet sequenced) to the open transaction."""
        if self._connection is None:
            raise RuntimeError("events are added inside the unit's transaction")
        self._pending.append(event)

    async def flush(self) -> list[AnyEvent]:
        """Sequence the events added so far now (in the open transaction); them, numbered.

        For a change that needs an event's ``seq`` before it commits.
        """
        if self._connection is None:
            raise RuntimeError("events are sequenced inside the unit's transaction")
        pending, self._pending = self._pending, []
        numbered = []
        for event in pending:
            stamped, frame = await self._sequencer.sequence(self._connection, event)
            self._sequenced.append((stamped, frame))
            numbered.append(stamped)
        return numbered


class EventLog:
    """Opens units of work and, once they end, announces their events.

    ``on_repo_change`` is called once per unit that committed a ``#commit`` or ``#sync``
    (the crawler notifier); ``listener`` once per event (the ``pds_on_event`` hook), in
    the process that made the event. A failing listener is logged.
    """

    def __init__(
        self,
        database: Database,
        hub: FirehoseHub,
        *,
        listener: EventListener = _no_listener,
        on_repo_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._sequencer = Sequencer(hub)
        self._listener = listener
        self._on_repo_change = on_repo_change

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[EventUnit]:
        """A unit of work; its committed events are announced when it ends."""
        unit = EventUnit(self._database, self._sequencer)
        try:
            yield unit
        finally:
            await self._announce(unit.committed)

    async def _announce(self, committed: list[tuple[AnyEvent, bytes]]) -> None:
        for event, frame in committed:
            await self._sequencer.publish(EventFrame(event.seq, frame))
        if any(isinstance(event, CommitEvent | SyncEvent) for event, _ in committed):
            self._on_repo_change()
        for event, _ in committed:
            try:
                await self._listener(event)
            except Exception:
                log.exception("an event listener failed", seq=event.seq, type=event.type)
