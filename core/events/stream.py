"""``follow_events``: the stored events after a cursor, then the live ones, exactly once.

The subscriber registers with the hub *before* reading the event log, so every event
committed after that point reaches its live queue; it then reads the log after its
cursor, page by page, and finally takes live events, dropping those it already sent. A
live event beyond the next expected ``seq`` (notifications from several processes may
arrive out of order) first has the gap filled from the log: the sequencing lock makes
every lower ``seq`` committed before it. Hence no gap and no duplicate.

While catching up, an overflowing live queue costs nothing (the dropped events are in
the log, read next); once live, it ends the stream with :class:`ConsumerTooSlow`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Final

from exprsn_pds.events.errors import FutureCursor
from exprsn_pds.events.frames import OUTDATED_CURSOR, info_frame
from exprsn_pds.events.hub import FirehoseHub
from exprsn_pds.events.store import frames_after, head_seq, oldest_seq
from exprsn_pds.net import UNKNOWN_CLIENT

DEFAULT_PAGE_SIZE: Final = 100


async def follow_events(
    hub: FirehoseHub,
    *,
    cursor: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    client: str = UNKNOWN_CLIENT,
) -> AsyncGenerator[bytes, None]:
    """Frames of the events after ``cursor``, then of live events, in ``seq`` order.

    Without ``cursor``, live events only (from the newest one on). A cursor older than
    the oldest retained event yields an ``#info`` ``OutdatedCursor`` frame and starts
    at the oldest one. Raises :class:`FutureCursor` for a cursor past the newest event,
    :class:`TooManySubscribers` when the hub serves its cap of subscribers (for
    ``client``, an IP address, or in total), and whatever :meth:`HubSubscription.get
    <exprsn_pds.events.hub.HubSubscription.get>` raises.
    """
    async with hub.subscribe(client) as live:
        head = await head_seq()
        last = head if cursor is None else cursor
        if cursor is not None:
            if cursor > head:
                raise FutureCursor(f"Cursor {cursor} is ahead of the newest event ({head})")
            oldest = await oldest_seq()
            if oldest is not None and oldest > cursor + 1:
                yield info_frame(
                    OUTDATED_CURSOR,
                    f"Cursor {cursor} is older than the oldest event kept ({oldest});"
                    " starting there",
                )
                last = oldest - 1
        while True:
            live.forgive_overflow()
            page = await frames_after(last, limit=page_size)
            for event in page:
                yield event.frame
                last = event.seq
            if len(page) < page_size and not live.overflowed:
                break
        while True:
            event = await live.get()
            if event.seq <= last:
                continue
            while event.seq > last + 1:
                missed = await frames_after(last, limit=page_size, before=event.seq)
                for stored in missed:
                    yield stored.frame
                    last = stored.seq
                if len(missed) < page_size:
                    break
            yield event.frame
            last = event.seq
