"""The bookmark index: kept by a durable consumer of the event log, read by a query.

The consumer sees every committed event in ``seq`` order, at least once, from whichever
process holds its lease, and survives restarts and crashes; each event is applied as an
upsert or a delete keyed by the record's AT-URI, so handling an event twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exprsn_pds import AccountEvent, AnyEvent, CommitEvent, InvalidRequest
from exprsn_pds_bookmarks.models import Bookmark

BOOKMARK = "com.example.bookmarks.bookmark"
CONSUMER = "bookmarks.index"
DELETED = "deleted"

Normalizer = Callable[[str], tuple[str, str]]


async def apply_event(event: AnyEvent, normalize: Normalizer) -> None:
    """Bring the index up to date with ``event`` (idempotent)."""
    if isinstance(event, CommitEvent):
        for op in event.ops:
            if op.collection != BOOKMARK:
                continue
            uri = f"at://{event.did}/{op.path}"
            if op.action == "delete" or op.record is None:
                await Bookmark.filter(uri=uri).delete()
            else:
                await _upsert(uri, event.did, op.record, normalize)
    elif isinstance(event, AccountEvent) and event.status == DELETED:
        await Bookmark.filter(did=event.did).delete()


async def _upsert(uri: str, did: str, record: dict[str, Any], normalize: Normalizer) -> None:
    try:
        url, host = normalize(str(record.get("subject", "")))
    except InvalidRequest:  # not an http(s) URL: nothing to index
        await Bookmark.filter(uri=uri).delete()
        return
    await Bookmark.update_or_create(defaults={"did": did, "url": url, "host": host}, uri=uri)


async def list_bookmarks(*, host: str | None, limit: int) -> list[dict[str, str]]:
    """Up to ``limit`` indexed bookmarks (of ``host`` only, when given), by AT-URI."""
    query = Bookmark.all() if host is None else Bookmark.filter(host=host.lower())
    rows = await query.order_by("uri").limit(limit)
    return [{"uri": row.uri, "url": row.url, "host": row.host} for row in rows]
