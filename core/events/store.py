"""Reads and deletes on the event log (``repo_event``)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from exprsn_pds.events.models import RepoEvent
from exprsn_pds.events.types import EventFrame

NO_EVENTS_SEQ: Final = 0


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
