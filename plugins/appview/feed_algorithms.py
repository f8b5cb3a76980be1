"""The built-in feed algorithms, contributed through ``pds_feed_algorithms``:

- ``recent`` ("Recent on this server"): the newest posts of the active accounts here, no
  replies, newest ``sortAt`` first; cursor ``<sortAt>::<uri>`` (a position: stable while
  others post);
- ``popular-follows`` ("Popular with follows"): posts liked in the last 24 hours by
  the accounts the viewer follows, most of those likes first, then newest; cursor
  ``<likes>::<sortAt>::<uri>`` (keyset, but like counts move, so a page may repeat or skip
  a post whose count changed between pages). It needs a viewer: anonymous, 401.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from exprsn_pds import AuthRequired, FeedAlgorithm, FeedSkeleton, InvalidRequest, Pds, SkeletonItem
from exprsn_pds.plugins.appview import feed_algorithm_store
from exprsn_pds.plugins.appview.feed_algorithm_store import RankedPost
from exprsn_pds.plugins.appview.graph_store import SEPARATOR, Cursor
from exprsn_pds.plugins.appview.records import iso_time

RECENT: Final = "recent"
POPULAR_WITH_FOLLOWS: Final = "popular-follows"
POPULAR_WINDOW: Final = dt.timedelta(hours=24)
MAX_CURSOR: Final = 1000


async def recent(pds: Pds, viewer: str | None, limit: int, cursor: str | None) -> FeedSkeleton:
    """A page of ``recent`` (the viewer does not change it)."""
    rows = await feed_algorithm_store.recent_posts(
        pds.database.client, Cursor.parse(cursor), limit + 1
    )
    page = rows[:limit]
    next_cursor = Cursor(page[-1][1], page[-1][0]).text() if len(rows) > limit else None
    return FeedSkeleton([SkeletonItem(uri) for uri, _ in page], next_cursor)


async def popular_with_follows(
    pds: Pds, viewer: str | None, limit: int, cursor: str | None
) -> FeedSkeleton:
    """A page of ``popular-follows`` for ``viewer``; 401 without one."""
    if viewer is None:
        raise AuthRequired("This feed needs a signed-in viewer")
    now = dt.datetime.now(dt.UTC)
    since = iso_time((now - POPULAR_WINDOW).isoformat()) or ""
    rows = await feed_algorithm_store.liked_by_follows(
        pds.database.client, viewer, since, _ranked_cursor(cursor), limit + 1
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = SEPARATOR.join((str(last.likes), last.sort_key, last.uri))
    return FeedSkeleton([SkeletonItem(row.uri) for row in page], next_cursor)


def _ranked_cursor(text: str | None) -> RankedPost | None:
    """The position ``<likes>::<sortAt>::<uri>``; 400 "Malformed cursor" for another."""
    if text is None:
        return None
    parts = text.split(SEPARATOR, 2)
    if (
        len(text) > MAX_CURSOR
        or len(parts) != 3
        or not parts[0].isdigit()
        or len(parts[0]) > 9
        or iso_time(parts[1]) != parts[1]
        or not parts[2]
    ):
        raise InvalidRequest("Malformed cursor")
    return RankedPost(parts[2], int(parts[0]), parts[1])


BUILT_IN: Final = (
    FeedAlgorithm(
        RECENT,
        "Recent on this server",
        recent,
        "The newest posts of the accounts on this server, without replies.",
    ),
    FeedAlgorithm(
        POPULAR_WITH_FOLLOWS,
        "Popular with follows",
        popular_with_follows,
        "Posts liked in the last 24 hours by the accounts you follow, most liked first.",
    ),
)
"""The algorithms the ``appview`` plugin contributes."""
