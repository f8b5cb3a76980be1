"""Reads and deletes on the event log (``repo_event``)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.events.models import RepoEvent
from exprsn_pds.events.types import EventFrame
from exprsn_pds.storage.sql import execute, fetch, is_postgres

NO_EVENTS_SEQ: Final = 0


async def lock_sequence(client: BaseDBAsyncClient, key: int) -> None:
    """Take the sequencing lock ``key`` until ``client``'s transaction ends.

    PostgreSQL: a transaction-scoped advisory lock; SQLite needs none (one process's
    write transactions run one at a time).
    """
    if is_postgres(client):
        await fetch(client, "SELECT pg_advisory_xact_lock(?)", [key])


async def newest_seq(client: BaseDBAsyncClient) -> int:
    """The newest ``seq`` as ``client`` sees it, or 0 before the first event."""
    rows = await fetch(client, "SELECT MAX(seq) FROM repo_event")
    return int(rows[0][0] or NO_EVENTS_SEQ)


async def insert_event(
    client: BaseDBAsyncClient, seq: int, did: str, kind: str, frame: bytes, at: dt.datetime
) -> None:
    """Store event ``seq`` (of type ``kind``) with its encoded ``frame``."""
    await execute(
        client,
        "INSERT INTO repo_event (seq, did, type, frame, created_at) VALUES (?, ?, ?, ?, ?)",
        [seq, did, kind, frame, at],
    )


async def head_seq() -> int:
    """The newest ``seq``, or 0 before the first event."""
    newest = await RepoEvent.all().order_by("-seq").only("seq").first()
    return NO_EVENTS_SEQ if newest is None else newest.seq


async def oldest_seq() -> int | None:
    """The oldest retained ``seq``, or ``None`` before the first event."""
    oldest = await RepoEvent.all().order_by("seq").only("seq").first()
    return None if oldest is None else oldest.seq


async def frames_after(seq: int, *, limit: int, before: int | None = None) -> list[EventFrame]:
    """Up to ``limit`` events with ``seq`` above ``seq`` (and below ``before``), in order."""
    query = RepoEvent.filter(seq__gt=seq)
    if before is not None:
        query = query.filter(seq__lt=before)
    rows = await query.order_by("seq").limit(limit).values_list("seq", "frame")
    return [EventFrame(int(row_seq), bytes(frame)) for row_seq, frame in rows]


async def purge_events(*, older_than: dt.datetime) -> int:
    """Delete events created before ``older_than``; returns how many.

    The newest event always stays, so sequence numbers keep growing after a purge.
    """
    newest = await head_seq()
    deleted: int = await RepoEvent.filter(created_at__lt=older_than, seq__lt=newest).delete()
    return deleted
