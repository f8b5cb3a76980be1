"""``app.bsky.feed.getFeed``: a custom feed, as the official AppView builds it.

Skeleton: the generator record ``feed`` (indexed; 400 "could not find feed" otherwise)
names a service DID; when it is this server's, the local algorithm of the record's key
answers directly (:func:`~.feed_generator_service.local_skeleton`), otherwise the
generator service is asked over HTTP (:mod:`.feed_remote`). At most ``limit`` items are
kept; a page without items, or whose cursor is the one sent, ends the feed (no cursor).
Hydration: the posts and the reposts named, with their reply context. Rules: the
timeline's (:func:`~.feed_methods.hidden_from_feed`), applied after the page is cut, never
refilled. Presentation: ``feedViewPost`` with the generator's ``feedContext`` per item and
its ``reqId`` on every item.
"""

from __future__ import annotations

from typing import Any

from exprsn_pds import FeedSkeleton, InvalidRequest, XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview import feed_algorithm_store, feed_skeleton
from exprsn_pds.plugins.appview.common import answer, viewer_of
from exprsn_pds.plugins.appview.feed_generator_service import local_skeleton
from exprsn_pds.plugins.appview.feed_generators import NOT_FOUND
from exprsn_pds.plugins.appview.feed_methods import hidden_from_feed
from exprsn_pds.plugins.appview.feed_remote import remote_skeleton
from exprsn_pds.plugins.appview.feed_store import FeedItem
from exprsn_pds.plugins.appview.post_methods import post_views
from exprsn_pds.plugins.appview.settings import AppviewSettings
from exprsn_pds.plugins.appview.threadgate import did_of


async def _skeleton(ctx: XrpcContext) -> tuple[FeedSkeleton, list[bool]]:
    pds = ctx.pds
    feed: str = ctx.params["feed"]
    service_did = await feed_algorithm_store.generator_did(pds.database.client, feed)
    if service_did is None:
        raise InvalidRequest(NOT_FOUND)
    limit: int = ctx.params["limit"]
    cursor: str | None = ctx.params.get("cursor")
    if service_did == pds.settings.service_did:
        skeleton = await local_skeleton(pds, feed, viewer_of(ctx), limit, cursor)
        return skeleton, [False] * len(skeleton.items)
    return await remote_skeleton(
        pds,
        service_did,
        feed,
        viewer_of(ctx),
        {"limit": limit, "cursor": cursor},
        AppviewSettings.of(pds).feed_timeout_s,
        ctx.request.headers.get("Accept-Language") if ctx.request is not None else None,
    )


async def _feed_items(
    ctx: XrpcContext, skeleton: FeedSkeleton, pins: list[bool]
) -> list[tuple[FeedItem, str | None]]:
    """Each item of ``skeleton`` as a :class:`FeedItem` with its feed context; reposts
    that are not indexed, or repost another post than the one named, are left out."""
    reposts = await feed_algorithm_store.repost_items(
        ctx.pds.database.client, [item.repost for item in skeleton.items if item.repost]
    )
    items: list[tuple[FeedItem, str | None]] = []
    for item, pinned in zip(skeleton.items, pins, strict=True):
        if item.repost is None:
            feed_item = FeedItem(item.post, None, did_of(item.post), "", pinned=pinned)
        elif (found := reposts.get(item.repost)) is not None and found[0] == item.post:
            feed_item = FeedItem(item.post, item.repost, found[1], found[2])
        else:
            continue
        items.append((feed_item, item.feed_context))
    return items


async def get_feed(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getFeed``: a page of the custom feed ``feed`` for the caller."""
    skeleton, pins = await _skeleton(ctx)
    limit: int = ctx.params["limit"]
    items = await _feed_items(ctx, FeedSkeleton(skeleton.items[:limit]), pins[:limit])
    feed_items = [item for item, _ in items]
    views = await post_views(
        ctx,
        [item.post_uri for item in feed_items],
        dids=feed_skeleton.actors_of(feed_items),
        reposts=[item.repost_uri for item in feed_items if item.repost_uri],
        reply_context=True,
    )
    feed: list[dict[str, Any]] = []
    for item, context in items:
        if hidden_from_feed(views, item) or (view := views.feed_view_post(item)) is None:
            continue
        if context is not None:
            view["feedContext"] = context
        if skeleton.req_id is not None:
            view["reqId"] = skeleton.req_id
        feed.append(view)
    body: dict[str, Any] = {"feed": feed}
    cursor = skeleton.cursor
    if cursor is not None and skeleton.items and cursor != ctx.params.get("cursor"):
        body["cursor"] = cursor
    return await answer(ctx, body)
