"""``app.bsky.bookmark``: createBookmark, deleteBookmark and getBookmarks.

Bookmarks are private server-side state (``state_store``: the index's bookmark table),
never records, and only posts can be bookmarked. Each account sees only its own; a post
view counts everyone's (``bookmarkCount``) and says whether the viewer's is among them
(``viewer.bookmarked``). Creating twice keeps one bookmark, deleting what is not there
changes nothing; both answer an empty 200, as the official AppView's.
"""

from __future__ import annotations

from typing import Any, Final

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse, caller_did
from exprsn_pds.plugins.appview import graph_store, state_store
from exprsn_pds.plugins.appview.common import answer
from exprsn_pds.plugins.appview.graph_store import Cursor
from exprsn_pds.plugins.appview.post_hydrate import POST, collection_of
from exprsn_pds.plugins.appview.post_methods import post_views

UNSUPPORTED: Final = f"Only '{POST}' records can be bookmarked"


def _post_uri(ctx: XrpcContext) -> str:
    uri: str = ctx.input["uri"]
    if collection_of(uri) != POST:
        raise InvalidRequest(UNSUPPORTED, error="UnsupportedCollection")
    return uri


async def create_bookmark(ctx: XrpcContext) -> None:
    """``app.bsky.bookmark.createBookmark``: the caller bookmarks the post ``uri``
    (version ``cid``); 400 ``UnsupportedCollection`` for anything but a post."""
    uri = _post_uri(ctx)
    async with ctx.pds.database.transaction() as client:
        await state_store.bookmark(client, caller_did(ctx.auth), uri, ctx.input["cid"])


async def delete_bookmark(ctx: XrpcContext) -> None:
    """``app.bsky.bookmark.deleteBookmark``: the caller no longer bookmarks ``uri``."""
    uri = _post_uri(ctx)
    async with ctx.pds.database.transaction() as client:
        await state_store.unbookmark(client, caller_did(ctx.auth), uri)


async def get_bookmarks(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.bookmark.getBookmarks``: the caller's bookmarks, newest first, each with
    the post's view (``#blockedPost`` / ``#notFoundPost`` when it cannot be shown)."""
    page = await graph_store.bookmarks_of(
        ctx.pds.database.client,
        caller_did(ctx.auth),
        Cursor.parse(ctx.params.get("cursor")),
        ctx.params["limit"],
    )
    views = await post_views(ctx, [row[0] for row in page.rows])
    bookmarks = [
        {
            "createdAt": created_at,
            "subject": {"uri": uri, "cid": cid},
            "item": views.maybe_post(uri),
        }
        for uri, created_at, cid in page.rows
    ]
    body: dict[str, Any] = {"bookmarks": bookmarks}
    if page.cursor is not None:
        body["cursor"] = page.cursor
    return await answer(ctx, body)
