"""``app.bsky.feed``: getPosts, getLikes, getRepostedBy, getQuotes and getActorLikes, as
skeleton → hydration (:func:`~.post_hydrate.hydrate_posts`) → rules → presentation
(:class:`~.post_views.PostViews`), with the official AppView's rules: posts and actors
that block or are blocked by the viewer are left out, and so are likes and quotes whose
author and the post's author block each other."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Final
from urllib.parse import quote

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview import graph_store
from exprsn_pds.plugins.appview.actors import resolve_actors
from exprsn_pds.plugins.appview.common import accepted_server_labeler, answer, viewer_of
from exprsn_pds.plugins.appview.feed_store import FeedItem
from exprsn_pds.plugins.appview.graph_store import Cursor, Page
from exprsn_pds.plugins.appview.post_hydrate import hydrate_posts
from exprsn_pds.plugins.appview.post_views import PostViews
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.plugins.appview.threadgate import did_of

VIDEO_PATH: Final = "/vid"
VIDEO_FILES: Final = {"playlist": "playlist.m3u8", "thumbnail": "thumbnail.jpg"}


async def post_views(
    ctx: XrpcContext,
    uris: Collection[str],
    *,
    dids: Iterable[str] = (),
    reposts: Collection[str] = (),
    reply_context: bool = False,
) -> PostViews:
    """The post views of one request: ``uris`` hydrated for the caller (see
    :func:`~.post_hydrate.hydrate_posts`), image and video URLs from this server, and
    this server's labels (its service DID is the labeler) when the caller accepts them."""
    labeler = accepted_server_labeler(ctx)
    state = await hydrate_posts(
        ctx.pds,
        viewer_of(ctx),
        uris,
        dids=dids,
        reposts=reposts,
        reply_context=reply_context,
        server_labels=labeler is not None,
    )
    images = ctx.pds.image_urls
    video_base = ctx.pds.settings.public_url.rstrip("/") + VIDEO_PATH

    def video_url(kind: str, did: str, cid: str) -> str:
        return f"{video_base}/{quote(did, safe='')}/{cid}/{VIDEO_FILES[kind]}"

    return PostViews(
        state, lambda preset, did, cid: images.url(preset, did, cid), video_url, labeler
    )


def _with_cursor(body: dict[str, Any], page: Page) -> dict[str, Any]:
    if page.cursor is not None:
        body["cursor"] = page.cursor
    return body


def _subject(ctx: XrpcContext) -> dict[str, Any]:
    """The ``uri`` (and ``cid`` when asked) of the subject, echoed in the answer."""
    body: dict[str, Any] = {"uri": ctx.params["uri"]}
    if ctx.params.get("cid"):
        body["cid"] = ctx.params["cid"]
    return body


async def get_posts(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getPosts``: the ``postView`` of each of ``uris`` that is shown, in
    the order asked, once each; posts by accounts blocking or blocked by the viewer are
    left out."""
    uris = list(dict.fromkeys(ctx.params["uris"]))
    views = await post_views(ctx, uris)
    posts = [
        view
        for uri in uris
        if not views.state.viewer_block(did_of(uri)) and (view := views.post(uri)) is not None
    ]
    return await answer(ctx, {"posts": posts})


async def get_likes(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getLikes``: who liked ``uri``, newest first, as ``{actor,
    createdAt, indexedAt}``; likers blocking or blocked by the viewer or by the post's
    author are left out."""
    uri: str = ctx.params["uri"]
    page = await graph_store.likes_of(
        ctx.pds.database.client, uri, Cursor.parse(ctx.params.get("cursor")), ctx.params["limit"]
    )
    author = did_of(uri)
    views = await post_views(ctx, [], dids=[author, *(row[2] for row in page.rows)])
    likes = []
    for _, key, did, created_at in page.rows:
        if views.state.viewer_block(did) or views.state.blocked_either_way(did, author):
            continue
        if (actor := views.shown_profile(did)) is not None:
            likes.append({"actor": actor, "createdAt": iso_time(created_at), "indexedAt": key})
    return await answer(ctx, _with_cursor({**_subject(ctx), "likes": likes}, page))


async def get_reposted_by(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getRepostedBy``: the profiles of who reposted ``uri``, newest
    first; reposters blocking or blocked by the viewer are left out."""
    page = await graph_store.reposts_of(
        ctx.pds.database.client,
        ctx.params["uri"],
        Cursor.parse(ctx.params.get("cursor")),
        ctx.params["limit"],
    )
    views = await post_views(ctx, [], dids=[row[2] for row in page.rows])
    reposted_by = [
        profile
        for _, _, did in page.rows
        if not views.state.viewer_block(did) and (profile := views.shown_profile(did))
    ]
    return await answer(ctx, _with_cursor({**_subject(ctx), "repostedBy": reposted_by}, page))


async def get_quotes(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getQuotes``: the posts quoting ``uri``, newest first; quotes by
    accounts blocking or blocked by the viewer or by the quoted author are left out."""
    uri: str = ctx.params["uri"]
    page = await graph_store.quotes_of(
        ctx.pds.database.client, uri, Cursor.parse(ctx.params.get("cursor")), ctx.params["limit"]
    )
    views = await post_views(ctx, [row[0] for row in page.rows])
    author = did_of(uri)
    posts = [
        view
        for quote_uri, _ in page.rows
        if not views.state.viewer_block(did_of(quote_uri))
        and not views.state.blocked_either_way(did_of(quote_uri), author)
        and (view := views.post(quote_uri)) is not None
    ]
    return await answer(ctx, _with_cursor({**_subject(ctx), "posts": posts}, page))


async def get_actor_likes(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getActorLikes``: the posts the caller liked, newest like first, as
    feed items; 400 "Profile not found" for anyone else's likes, as the official."""
    actor: str = ctx.params["actor"]
    did = (await resolve_actors(ctx.pds, [actor])).get(actor)
    if did is None or did != viewer_of(ctx):
        raise InvalidRequest("Profile not found")
    page = await graph_store.likes_by_actor(
        ctx.pds.database.client, did, Cursor.parse(ctx.params.get("cursor")), ctx.params["limit"]
    )
    items = [FeedItem(row[2], None, did_of(row[2]), row[1]) for row in page.rows]
    views = await post_views(ctx, [item.post_uri for item in items], reply_context=True)
    feed = [
        view
        for item in items
        if not views.state.viewer_block(item.author)
        and (view := views.feed_view_post(item)) is not None
    ]
    return await answer(ctx, _with_cursor({"feed": feed}, page), repo_rev=True)
