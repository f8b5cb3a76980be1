"""``app.bsky.feed``: getTimeline, getAuthorFeed and getListFeed, as skeleton
(:mod:`.feed_skeleton`) → hydration (:func:`~.post_methods.post_views`) → rules →
presentation (``feedViewPost``), with the official AppView's rules.

A page is cut first and the rules run after, so a page may hold fewer items than
``limit`` and still carry a cursor. The timeline and list feeds drop items whose author or
originator the viewer mutes or blocks (either way), reposts by an account whose reposts
the viewer mutes, quote posts by one whose quote posts the viewer mutes, and replies whose
parent's or grandparent's author blocks or is blocked by the viewer; the list feed also drops posts
whose author and the list's creator block each other. The author feed answers
``BlockedActor`` / ``BlockedByActor`` when the viewer and the author block each other,
keeps reposts of muted authors by unmuted ones, and with ``posts_and_author_threads`` keeps
a reply only when the page holds its parent chain up to a root (the author's self-thread).
"""

from __future__ import annotations

from typing import Any

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse, caller_did
from exprsn_pds.plugins.appview import feed_skeleton
from exprsn_pds.plugins.appview.actors import resolve_actors
from exprsn_pds.plugins.appview.common import answer
from exprsn_pds.plugins.appview.feed_skeleton import Skeleton
from exprsn_pds.plugins.appview.feed_store import POSTS_AND_AUTHOR_THREADS, FeedItem
from exprsn_pds.plugins.appview.graph_store import Cursor
from exprsn_pds.plugins.appview.post_hydrate import POST, collection_of
from exprsn_pds.plugins.appview.post_methods import post_views
from exprsn_pds.plugins.appview.post_views import PostViews
from exprsn_pds.plugins.appview.threadgate import did_of


def _ancestor_blocked(views: PostViews, item: FeedItem) -> bool:
    """Whether the viewer and the author of the post's parent or grandparent block each
    other, either way."""
    row = views.posts.posts.get(item.post_uri)
    if row is None or row.parent_uri is None:
        return False
    if views.state.viewer_block(did_of(row.parent_uri)):
        return True
    parent = views.posts.posts.get(row.parent_uri)
    grandparent = parent.parent_uri if parent is not None else None
    return grandparent is not None and views.state.viewer_block(did_of(grandparent))


def _is_quote(views: PostViews, item: FeedItem) -> bool:
    row = views.posts.posts.get(item.post_uri)
    return row is not None and row.embed_uri is not None and collection_of(row.embed_uri) == POST


def hidden_from_feed(views: PostViews, item: FeedItem) -> bool:
    """The timeline's, list feed's and ``getFeed``'s rule (see the module docstring)."""
    state = views.state
    return (
        feed_skeleton.hides_actor(state, item.author)
        or (item.author in state.muted_quotes and _is_quote(views, item))
        or feed_skeleton.hides_actor(state, item.originator)
        or (item.repost_uri is not None and item.originator in state.muted_reposts)
        or _ancestor_blocked(views, item)
    )


async def _page(
    ctx: XrpcContext, skeleton: Skeleton, *, dids: list[str] | None = None
) -> tuple[PostViews, list[FeedItem]]:
    items = skeleton.items
    views = await post_views(
        ctx,
        [item.post_uri for item in items],
        dids=[*(dids or []), *feed_skeleton.actors_of(items)],
        reposts=[item.repost_uri for item in items if item.repost_uri],
        reply_context=True,
    )
    return views, items


async def _feed(
    ctx: XrpcContext, views: PostViews, items: list[FeedItem], cursor: str | None
) -> XrpcResponse:
    feed = [view for item in items if (view := views.feed_view_post(item)) is not None]
    body: dict[str, Any] = {"feed": feed}
    if cursor is not None:
        body["cursor"] = cursor
    return await answer(ctx, body, repo_rev=True)


async def get_timeline(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getTimeline``: the caller's follows' posts and reposts and the
    caller's own, newest first (fan-out on read, see ``docs/appview.md``)."""
    viewer = caller_did(ctx.auth)
    skeleton = await feed_skeleton.timeline(
        ctx.pds.database.client, viewer, Cursor.parse(ctx.params.get("cursor")), ctx.params["limit"]
    )
    views, items = await _page(ctx, skeleton)
    kept = [item for item in items if not hidden_from_feed(views, item)]
    return await _feed(ctx, views, kept, skeleton.cursor)


async def get_list_feed(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getListFeed``: the posts of the members of ``list``, newest first."""
    list_uri: str = ctx.params["list"]
    skeleton = await feed_skeleton.list_feed(
        ctx.pds.database.client,
        list_uri,
        Cursor.parse(ctx.params.get("cursor")),
        ctx.params["limit"],
    )
    creator = did_of(list_uri)
    views, items = await _page(ctx, skeleton, dids=[creator])
    kept = [
        item
        for item in items
        if not hidden_from_feed(views, item)
        and not views.state.blocked_either_way(creator, item.author)
    ]
    return await _feed(ctx, views, kept, skeleton.cursor)


async def get_author_feed(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getAuthorFeed``: ``actor``'s posts and reposts under ``filter``,
    newest first, the pinned post first with ``includePins``; 400 "Profile not found" for
    an unknown or taken-down actor, ``BlockedActor`` / ``BlockedByActor`` across a block."""
    actor: str = ctx.params["actor"]
    did = (await resolve_actors(ctx.pds, [actor])).get(actor)
    if did is None:
        raise InvalidRequest("Profile not found")
    feed_filter: str = ctx.params["filter"]
    skeleton = await feed_skeleton.author_feed(
        ctx.pds.database.client,
        did,
        feed_filter,
        Cursor.parse(ctx.params.get("cursor")),
        ctx.params["limit"],
        include_pins=bool(ctx.params.get("includePins", False)),
    )
    views, items = await _page(ctx, skeleton, dids=[did])
    state = views.state
    if not state.visible(did):
        raise InvalidRequest("Profile not found")
    if state.blocking.get(did) or state.blocking_by_list.get(did):
        raise InvalidRequest(f"Requester has blocked actor: {did}", error="BlockedActor")
    if state.blocked_by.get(did) or state.blocked_by_list.get(did):
        raise InvalidRequest(f"Requester is blocked by actor: {did}", error="BlockedByActor")
    kept = [
        item
        for item in items
        if not state.viewer_block(item.author)
        and not state.viewer_block(item.originator)
        and (not state.viewer_mutes(item.author) or state.viewer_mutes(item.originator))
    ]
    if feed_filter == POSTS_AND_AUTHOR_THREADS:
        kept = _self_threads(views, kept)
    return await _feed(ctx, views, kept, skeleton.cursor)


def _self_threads(views: PostViews, items: list[FeedItem]) -> list[FeedItem]:
    """The reposts, the pinned post, and the posts whose parent chain the page holds up to
    a root (as the official's self-thread tracker)."""
    in_page = {item.post_uri for item in items if item.repost_uri is None}
    known: dict[str, bool] = {}

    def in_self_thread(uri: str) -> bool:
        chain: list[str] = []
        answer = False
        while uri not in known:
            row = views.posts.posts.get(uri)
            if uri in chain or uri not in in_page or row is None:
                break
            chain.append(uri)
            if row.parent_uri is None:
                answer = True
                break
            uri = row.parent_uri
        else:
            answer = known[uri]
        for seen in chain:
            known[seen] = answer
        return answer

    return [
        item
        for item in items
        if item.repost_uri is not None or item.pinned or in_self_thread(item.post_uri)
    ]
