"""Reads and conditional writes on ``event_consumer``: cursors and leases.

A lease is a row's ``owner`` and ``lease_expires_ms``. Taking, renewing, releasing it
and moving the cursor are each one conditional ``UPDATE`` (``... WHERE owner = ?``),
atomic on SQLite and PostgreSQL alike, so of several processes sharing a database at
most one holds a consumer's lease at a time, and one that lost its lease cannot move
the cursor. Expiry is measured on the database's clock, which every process shares.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from exprsn_pds.events.models import EventConsumer, RepoEvent
from exprsn_pds.events.store import NO_EVENTS_SEQ, head_seq, oldest_seq
from exprsn_pds.storage.sql import execute, fetch, is_postgres

MS_PER_S = 1000

# Milliseconds since the epoch, on the database's clock.
_POSTGRES_NOW_MS = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
_SQLITE_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"


def _now_ms(client: BaseDBAsyncClient) -> str:
    return _POSTGRES_NOW_MS if is_postgres(client) else _SQLITE_NOW_MS


@dataclass(frozen=True)
class StoredEvent:
    """One row of the event log as a consumer reads it."""

    seq: int
    frame: bytes
    created_at: dt.datetime


async def ensure_consumer(name: str, *, from_now: bool) -> None:
    """Create the row of consumer ``name`` unless it exists.

    A new consumer starts after the newest event (``from_now``) or before the oldest
    one retained. When several processes create it at once, the first one wins.
    """
    if await EventConsumer.exists(name=name):
        return
    if from_now:
        start = await head_seq()
    else:  # the log only empties before the first event: the purger keeps the newest
        oldest = await oldest_seq()
        start = NO_EVENTS_SEQ if oldest is None else oldest - 1
    with contextlib.suppress(IntegrityError):  # another process created it first
        await EventConsumer.create(name=name, last_seq=start, created_at=dt.datetime.now(dt.UTC))


async def acquire_lease(
    client: BaseDBAsyncClient, name: str, owner: str, *, ttl_s: float
) -> bool:
    """Take (or renew) the lease of ``name`` for ``owner``; whether ``owner`` holds it now.

    Succeeds when nobody holds it, ``owner`` already does, or the holder's lease expired.
    """
    now = _now_ms(client)
    changed = await execute(
        client,
        f"UPDATE event_consumer SET owner = ?, lease_expires_ms = {now} + ?"
        f" WHERE name = ? AND (owner IS NULL OR owner = ? OR lease_expires_ms < {now})",
        [owner, round(ttl_s * MS_PER_S), name, owner],
    )
    return changed == 1


async def renew_lease(
    client: BaseDBAsyncClient, name: str, owner: str, *, ttl_s: float
) -> bool:
    """Extend ``owner``'s lease of ``name``; False when another process has taken it."""
    changed = await execute(
        client,
        f"UPDATE event_consumer SET lease_expires_ms = {_now_ms(client)} + ?"
        " WHERE name = ? AND owner = ?",
        [round(ttl_s * MS_PER_S), name, owner],
    )
    return changed == 1


async def release_lease(client: BaseDBAsyncClient, name: str, owner: str) -> None:
    """Give up ``owner``'s lease of ``name``, so another process may take it at once."""
    await execute(
        client,
        "UPDATE event_consumer SET owner = NULL, lease_expires_ms = 0 WHERE name = ? AND owner = ?",
        [name, owner],
    )


async def save_cursor(
    client: BaseDBAsyncClient, name: str, owner: str, *, last_seq: int, missed_events: int = 0
) -> bool:
    """Move the cursor of ``name`` to ``last_seq`` (adding ``missed_events``).

    Only while ``owner`` holds the lease; False (and nothing written) otherwise.
    """
    changed = await execute(
        client,
        "UPDATE event_consumer SET last_seq = ?, missed_events = missed_events + ?"
        " WHERE name = ? AND owner = ?",
        [last_seq, missed_events, name, owner],
    )
    return changed == 1


async def load_cursor(name: str) -> int:
    """The cursor (newest ``seq`` handled) of consumer ``name``, which must exist."""
    row = await EventConsumer.get(name=name).only("name", "last_seq")
    return int(row.last_seq)


async def events_after(seq: int, *, limit: int) -> list[StoredEvent]:
    """Up to ``limit`` events with ``seq`` above ``seq``, in order."""
    rows = await (
        RepoEvent.filter(seq__gt=seq)
        .order_by("seq")
        .limit(limit)
        .values_list("seq", "frame", "created_at")
    )
    return [StoredEvent(int(row_seq), bytes(frame), created) for row_seq, frame, created in rows]


@dataclass(frozen=True)
class ConsumerLag:
    """How far a durable consumer is behind the event log.

    ``events_behind`` is ``head_seq - last_seq``: the events committed that its handler
    has not returned for (0 when caught up). ``oldest_unhandled_at`` is when the oldest
    of them was committed (``None`` when caught up). ``behind_retained_log`` says that
    some of them were purged already; ``missed_events`` counts every event purged
    before the consumer handled it, since it was created. ``owner`` is the process
    holding its lease, ``None`` when none does.
    """

    name: str
    last_seq: int
    head_seq: int
    events_behind: int
    oldest_unhandled_at: dt.datetime | None
    behind_retained_log: bool
    missed_events: int
    owner: str | None


async def consumer_lag(client: BaseDBAsyncClient, name: str) -> ConsumerLag | None:
    """The lag of consumer ``name``, or ``None`` when it never ran against this database."""
    rows = await fetch(
        client,
        "SELECT last_seq, missed_events,"
        f" CASE WHEN lease_expires_ms > {_now_ms(client)} THEN owner END"
        " FROM event_consumer WHERE name = ?",
        [name],
    )
    if not rows:
        return None
    last_seq, missed_events, owner = int(rows[0][0]), int(rows[0][1]), rows[0][2]
    head = await head_seq()
    oldest = await oldest_seq()
    oldest_unhandled = (
        await RepoEvent.filter(seq__gt=last_seq).order_by("seq").only("seq", "created_at").first()
    )
    return ConsumerLag(
        name=name,
        last_seq=last_seq,
        head_seq=head,
        events_behind=max(head - last_seq, 0),
        oldest_unhandled_at=None if oldest_unhandled is None else oldest_unhandled.created_at,
        behind_retained_log=oldest is not None and oldest > last_seq + 1,
        missed_events=missed_events,
        owner=owner,
    )
