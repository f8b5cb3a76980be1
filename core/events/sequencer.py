"""``Sequencer``: numbers events inside a transaction, announces them after its commit.

Only the unit of work (:class:`~exprsn_pds.events.log.EventUnit`) calls it: every event
goes through :class:`~exprsn_pds.events.log.EventLog`.

:meth:`Sequencer.sequence` runs inside the caller's open transaction, at its end: it
takes the global sequencing lock (PostgreSQL: a transaction-scoped advisory lock, so
several processes can share the database; SQLite: none needed, as tortoise runs the one
process's write transactions one at a time), numbers the event ``max(seq) + 1``, encodes
its frame once and stores it. The lock is held until the transaction commits, so events
become visible in ``seq`` order and without gaps (a rolled-back event frees its number).
After the commit the unit hands each event to :meth:`Sequencer.publish`.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.events.hub import FirehoseHub
from exprsn_pds.events.store import insert_event, lock_sequence, newest_seq
from exprsn_pds.events.types import Event, EventFrame
from exprsn_pds.logs import get_logger
from exprsn_pds.syntax import Datetime

# Any fixed 64-bit key works; this one spells "exprsn:s" (for sequencing).
SEQUENCE_LOCK_KEY: Final = int.from_bytes(b"exprsn:s", "big")

log = get_logger(__name__)

_E = TypeVar("_E", bound=Event)


class Sequencer:
    """Assigns sequence numbers to events and announces them through ``hub``."""

    def __init__(self, hub: FirehoseHub) -> None:
        self._hub = hub

    async def sequence(self, connection: BaseDBAsyncClient, event: _E) -> tuple[_E, bytes]:
        """Store ``event`` in the open transaction ``connection``: it numbered, and its frame.

        ``connection`` is what :meth:`Database.transaction
        <exprsn_pds.storage.Database.transaction>` yields. Call it at the end of the
        transaction (after the repo lock, before nothing slow): the global sequencing lock
        is held until commit. One transaction may sequence several events.
        """
        await lock_sequence(connection, SEQUENCE_LOCK_KEY)
        seq = await newest_seq(connection) + 1
        now = dt.datetime.now(dt.UTC)
        stamped = event.stamped(seq, str(Datetime.from_datetime(now)))
        frame = stamped.frame()
        await insert_event(connection, seq, stamped.did, stamped.type, frame, now)
        return stamped, frame

    async def publish(self, event: EventFrame) -> None:
        """Announce a committed event to every process's subscribers.

        Never raises: the event is already in the log, and subscribers recover one whose
        announcement failed from there (when the next announcement arrives).
        """
        try:
            await self._hub.publish(event)
        except Exception:
            log.exception(
                "could not announce an event; subscribers will read it from the log", seq=event.seq
            )
