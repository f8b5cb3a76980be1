"""``app.bsky.feed.searchPosts``: the full-text search skeleton (:mod:`.search_query`,
:mod:`.search_store`) → the post views, with the official rule: posts by accounts blocking
or blocked by the viewer are left out (after the page is cut, so a page may be short and
still carry a cursor)."""

from __future__ import annotations

from typing import Any

from exprsn_pds import XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview.actors import resolve_actors
from exprsn_pds.plugins.appview.common import answer, viewer_of
from exprsn_pds.plugins.appview.post_methods import post_views
from exprsn_pds.plugins.appview.search_query import parse_search
from exprsn_pds.plugins.appview.search_store import search_posts as search_skeleton
from exprsn_pds.plugins.appview.threadgate import did_of


async def search_posts(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.searchPosts``: the posts matching ``q`` and the filters, newest
    first (``sort=latest``) or most liked first (``sort=top``); see ``docs/appview.md``."""
    search = parse_search(ctx.params, viewer_of(ctx))
    resolved = search.resolved(await resolve_actors(ctx.pds, search.identifiers()))
    uris: list[str] = []
    cursor = None
    if resolved is not None:
        uris, cursor = await search_skeleton(
            ctx.pds.database.client, resolved, ctx.params["limit"], ctx.params.get("cursor")
        )
    views = await post_views(ctx, uris)
    posts = [
        view
        for uri in uris
        if not views.state.viewer_block(did_of(uri)) and (view := views.post(uri)) is not None
    ]
    body: dict[str, Any] = {"posts": posts}
    if cursor is not None:
        body["cursor"] = cursor
    return await answer(ctx, body)
