"""Feed skeletons: which items a page of a feed holds, before any post view.

``timeline`` merges the viewer's follows' items with the viewer's own as the official
AppView does: both read ``limit + 1`` past the cursor, own items fill what the follows
leave of the page but at least ``min(limit, 10)`` of them may enter; a cursor is given when
the merge holds more than ``limit`` items, or when own items were left out by their cap.
``list_feed`` is the list members' posts (no reposts). The rules
(:func:`drop_blocks_and_mutes`) run after the page is cut, so a page may hold
fewer items than ``limit`` and still carry a cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview import feed_store
from exprsn_pds.plugins.appview.feed_store import FeedItem
from exprsn_pds.plugins.appview.graph_store import Cursor
from exprsn_pds.plugins.appview.hydrate import ActorState

OWN_ITEMS_MIN: Final = 10
"""Own items a timeline page may hold even when the follows fill it (the official's)."""


@dataclass(frozen=True)
class Skeleton:
    """The items of a page, newest first, and the next page's cursor."""

    items: list[FeedItem]
    cursor: str | None


def _order(item: FeedItem) -> tuple[str, str]:
    return item.sort_key, item.uri


async def timeline(
    client: BaseDBAsyncClient, viewer: str, cursor: Cursor | None, limit: int
) -> Skeleton:
    """The viewer's home timeline skeleton (fan-out on read, see ``docs/appview.md``)."""
    followed = await feed_store.followed_items(client, viewer, cursor, limit + 1)
    own = await feed_store.items_by(client, feed_store.SELF, viewer, cursor, limit + 1)
    own_limit = max(min(limit, OWN_ITEMS_MIN), limit - min(len(followed), limit))
    merged = sorted([*followed, *own[:own_limit]], key=_order, reverse=True)
    page = merged[:limit]
    if not page:
        return Skeleton([], None)
    if len(merged) > limit or len(own) > own_limit:
        return Skeleton(page, page[-1].cursor())
    return Skeleton(page, None)


def _cut(rows: list[FeedItem], limit: int) -> Skeleton:
    """The first ``limit`` of ``rows`` (read ``limit + 1``), a cursor if more were read."""
    page = rows[:limit]
    return Skeleton(page, page[-1].cursor() if len(rows) > limit and page else None)


async def list_feed(
    client: BaseDBAsyncClient, list_uri: str, cursor: Cursor | None, limit: int
) -> Skeleton:
    """The skeleton of ``getListFeed``: the list members' posts, newest first."""
    rows = await feed_store.list_posts(client, list_uri, cursor, limit + 1)
    return _cut(rows, limit)


async def author_feed(
    client: BaseDBAsyncClient,
    did: str,
    feed_filter: str,
    cursor: Cursor | None,
    limit: int,
    *,
    include_pins: bool = False,
) -> Skeleton:
    """The skeleton of ``getAuthorFeed`` under one of :data:`.feed_store.REPLY_FILTERS`;
    with ``include_pins``, the first page puts the author's own pinned post first (marked
    ``pinned``) and drops the other items of that post, as the official."""
    rows = await feed_store.author_items(client, did, feed_filter, cursor, limit + 1)
    skeleton = _cut(rows, limit)
    if not include_pins or cursor is not None:
        return skeleton
    pinned = await feed_store.pinned_post(client, did)
    if pinned is None:
        return skeleton
    pin = FeedItem(pinned, None, did, "", pinned=True)
    if pin.author != did:
        return skeleton
    items = [pin, *(item for item in skeleton.items if item.post_uri != pinned)]
    return Skeleton(items, skeleton.cursor)


def actors_of(items: list[FeedItem]) -> list[str]:
    """The authors and originators of ``items``, each once, in order."""
    return list(dict.fromkeys(did for item in items for did in (item.author, item.originator)))


def drop_blocks_and_mutes(items: list[FeedItem], actors: ActorState) -> list[FeedItem]:
    """``items`` without those whose author or originator the viewer mutes (directly or by
    list) or blocks or is blocked by (directly or by list), as the official timeline."""

    return [
        item
        for item in items
        if not hides_actor(actors, item.author) and not hides_actor(actors, item.originator)
    ]


def hides_actor(actors: ActorState, did: str) -> bool:
    """Whether a feed leaves out ``did``'s items: the viewer mutes it (directly or by list)
    or blocks it or is blocked by it (directly or by list)."""
    return actors.viewer_mutes(did) or actors.viewer_block(did)
