"""``app.bsky.graph`` reads: follows, followers, known followers, blocks, mutes, lists,
relationships and starter packs, as skeleton → hydration → rules → presentation.

Rules follow the official AppView: a page is cut first, then filtered (so it may hold fewer
items than ``limit`` and still carry a cursor); follow lists drop accounts that block, or are
blocked by, the viewer or the list's subject; inactive accounts are never shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview import graph_store, view_store
from exprsn_pds.plugins.appview.actors import resolve_actors
from exprsn_pds.plugins.appview.common import accepted_server_labeler, answer, viewer_of
from exprsn_pds.plugins.appview.graph_hydrate import GraphState, hydrate_graph
from exprsn_pds.plugins.appview.graph_store import Cursor, Page
from exprsn_pds.plugins.appview.graph_views import REFERENCE_LIST, GraphViews
from exprsn_pds.plugins.appview.settings import AppviewSettings

LIST_PURPOSE: Final = "app.bsky.graph.defs#"
DEFAULT_PURPOSES: Final = ("modlist", "curatelist")
LIST_COLLECTION: Final = "app.bsky.graph.list"
STARTER_PACK_COLLECTION: Final = "app.bsky.graph.starterpack"


def _views(ctx: XrpcContext, state: GraphState) -> GraphViews:
    urls = ctx.pds.image_urls
    return GraphViews(
        state, lambda preset, did, cid: urls.url(preset, did, cid), accepted_server_labeler(ctx)
    )


def _page_of(ctx: XrpcContext) -> tuple[Cursor | None, int]:
    limit: int = ctx.params["limit"]
    return Cursor.parse(ctx.params.get("cursor")), limit


def _with_cursor(body: dict[str, Any], page: Page) -> dict[str, Any]:
    if page.cursor is not None:
        body["cursor"] = page.cursor
    return body


async def subject_of(ctx: XrpcContext, *, not_found: str | None = None) -> str:
    """The DID of the ``actor`` param; 400 ``InvalidRequest`` if the index has none, with
    ``not_found`` (default: "Actor not found: <actor>") as its message."""
    actor: str = ctx.params["actor"]
    did = (await resolve_actors(ctx.pds, [actor])).get(actor)
    if did is None:
        raise InvalidRequest(not_found or f"Actor not found: {actor}")
    return did


def _subject_view(ctx: XrpcContext, views: GraphViews, did: str) -> dict[str, Any]:
    view = views.shown_profile(did)
    if view is None:
        raise InvalidRequest(f"Actor not found: {ctx.params['actor']}")
    return view


async def _edges(ctx: XrpcContext, key: str, *, followers: bool) -> XrpcResponse:
    subject = await subject_of(ctx)
    cursor, limit = _page_of(ctx)
    fetch = graph_store.followers if followers else graph_store.follows
    page = await fetch(ctx.pds.database.client, subject, cursor, limit)
    others = [row[2] for row in page.rows]
    state = await hydrate_graph(ctx.pds, viewer_of(ctx), [subject, *others])
    views = _views(ctx, state)
    actors = state.actors
    shown = [
        view
        for did in others
        if not actors.blocked_either_way(subject, did)
        and not actors.viewer_block(did)
        and (view := views.shown_profile(did)) is not None
    ]
    body = {"subject": _subject_view(ctx, views, subject), key: shown}
    return await answer(ctx, _with_cursor(body, page))


async def get_follows(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getFollows``: whom ``actor`` follows, newest first."""
    return await _edges(ctx, "follows", followers=False)


async def get_followers(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getFollowers``: who follows ``actor``, newest first (``sort`` is
    accepted; every page is the newest-first order)."""
    return await _edges(ctx, "followers", followers=True)


async def get_known_followers(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getKnownFollowers``: ``actor``'s followers whom the viewer follows,
    in the order the viewer followed them, up to ``limit``; one page, as the official."""
    subject = await subject_of(ctx)
    viewer = viewer_of(ctx)
    known: list[str] = []
    if viewer is not None:
        found = await view_store.known_followers(ctx.pds.database.client, viewer, {subject})
        known = list(dict.fromkeys(found.get(subject, [])))[: ctx.params["limit"]]
    state = await hydrate_graph(ctx.pds, viewer, [subject, *known])
    views = _views(ctx, state)
    followers = [
        view
        for did in known
        if not state.actors.viewer_block(did) and (view := views.shown_profile(did)) is not None
    ]
    return await answer(
        ctx, {"subject": _subject_view(ctx, views, subject), "followers": followers}
    )


async def _own_actors(ctx: XrpcContext, key: str, *, mutes: bool) -> XrpcResponse:
    viewer = viewer_of(ctx)
    assert viewer is not None  # a session is required
    cursor, limit = _page_of(ctx)
    if mutes:
        page = await graph_store.mutes(ctx.pds.database.client, viewer, cursor, limit)
        dids = [row[0] for row in page.rows]
    else:
        page = await graph_store.blocks(ctx.pds.database.client, viewer, cursor, limit)
        dids = [row[2] for row in page.rows]
    state = await hydrate_graph(ctx.pds, viewer, dids)
    views = _views(ctx, state)
    shown = [view for did in dids if (view := views.shown_profile(did)) is not None]
    return await answer(ctx, _with_cursor({key: shown}, page))


async def get_blocks(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getBlocks``: whom the caller blocks directly, newest first."""
    return await _own_actors(ctx, "blocks", mutes=False)


async def get_mutes(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getMutes``: whom the caller mutes, the latest mute first."""
    return await _own_actors(ctx, "mutes", mutes=True)


def _require_collection(uri: str, collection: str, what: str) -> None:
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != collection:
        raise InvalidRequest(f"{what} not found")


async def get_list(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getList``: a list and a page of its active members, newest first.

    On a reference list (a starter pack's), members blocking or blocked by the list's
    creator are left out, except for the creator; 400 "List not found" for an unknown list.
    """
    uri: str = ctx.params["list"]
    _require_collection(uri, LIST_COLLECTION, "List")
    cursor, limit = _page_of(ctx)
    page = await graph_store.list_items(ctx.pds.database.client, uri, cursor, limit)
    items = [(row[0], row[2]) for row in page.rows]
    viewer = viewer_of(ctx)
    state = await hydrate_graph(ctx.pds, viewer, [did for _, did in items], lists={uri})
    views = _views(ctx, state)
    view = views.list_view(uri)
    if view is None:
        raise InvalidRequest("List not found")
    creator = state.actors.lists[uri]["did"]
    hide_blocks = view["purpose"] == REFERENCE_LIST and viewer != creator
    shown = [
        item
        for item_uri, did in items
        if not (hide_blocks and state.actors.blocked_either_way(creator, did))
        and (item := views.list_item(item_uri, did)) is not None
    ]
    return await answer(ctx, _with_cursor({"list": view, "items": shown}, page))


def accepted_purposes(asked: list[str]) -> set[str]:
    """The list purposes ``purposes`` asks for, read as the official AppView reads them:
    ``modlist`` and ``curatelist``, each by name or as its ``app.bsky.graph.defs#`` token;
    any other purpose (a starter pack's ``referencelist`` too) asks for nothing."""
    return {
        LIST_PURPOSE + name
        for name in DEFAULT_PURPOSES
        if name in asked or LIST_PURPOSE + name in asked
    }


async def get_lists(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getLists``: ``actor``'s lists of ``purposes`` (default: moderation
    and curation lists), newest first; as the official, the page of all the actor's lists is
    cut first and then filtered by purpose, and an unknown actor is "Profile not found"."""
    subject = await subject_of(ctx, not_found="Profile not found")
    accepted = accepted_purposes(ctx.params.get("purposes") or list(DEFAULT_PURPOSES))
    cursor, limit = _page_of(ctx)
    page = await graph_store.lists_of(ctx.pds.database.client, subject, cursor, limit)
    return await _lists_answer(ctx, [row[0] for row in page.rows if row[2] in accepted], page)


async def _lists_answer(ctx: XrpcContext, uris: list[str], page: Page) -> XrpcResponse:
    state = await hydrate_graph(ctx.pds, viewer_of(ctx), [], lists=set(uris))
    views = _views(ctx, state)
    shown = [view for uri in uris if (view := views.list_view(uri)) is not None]
    return await answer(ctx, _with_cursor({"lists": shown}, page))


async def _caller_lists(
    ctx: XrpcContext,
    read: Callable[[BaseDBAsyncClient, str, Cursor | None, int], Awaitable[Page]],
    column: int,
) -> XrpcResponse:
    """The lists of a page of the caller's rows from ``read``, the list URI at ``column``."""
    viewer = viewer_of(ctx)
    assert viewer is not None  # a session is required
    cursor, limit = _page_of(ctx)
    page = await read(ctx.pds.database.client, viewer, cursor, limit)
    return await _lists_answer(ctx, [row[column] for row in page.rows], page)


async def get_list_blocks(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getListBlocks``: the lists the caller blocks, newest block first."""
    return await _caller_lists(ctx, graph_store.blocked_lists, 2)


async def get_list_mutes(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getListMutes``: the lists the caller mutes, latest mute first."""
    return await _caller_lists(ctx, graph_store.muted_lists, 0)


async def get_starter_pack(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getStarterPack``: the full view, with its list, a sample of the
    list's members and its feeds; 400 "Starter pack not found" for an unknown one."""
    uri: str = ctx.params["starterPack"]
    _require_collection(uri, STARTER_PACK_COLLECTION, "Starter pack")
    viewer = viewer_of(ctx)
    pack = (await view_store.starter_packs(ctx.pds.database.client, {uri})).get(uri)
    sample = (
        await graph_store.list_items_sample(ctx.pds.database.client, pack["list_uri"])
        if pack is not None and pack["list_uri"]
        else []
    )
    state = await hydrate_graph(ctx.pds, viewer, [did for _, did in sample], packs={uri})
    view = _views(ctx, state).starter_pack(uri, sample)
    if view is None:
        raise InvalidRequest("Starter pack not found")
    return await answer(ctx, {"starterPack": view})


async def _packs_answer(ctx: XrpcContext, uris: list[str], page: Page | None) -> XrpcResponse:
    state = await hydrate_graph(ctx.pds, viewer_of(ctx), [], packs=set(uris))
    views = _views(ctx, state)
    shown = [
        view
        for uri in dict.fromkeys(uris)
        if (pack := state.actors.starter_packs.get(uri)) is not None
        and state.actors.visible(pack["did"])
        and (view := views.starter_pack_basic(uri)) is not None
    ]
    body: dict[str, Any] = {"starterPacks": shown}
    return await answer(ctx, body if page is None else _with_cursor(body, page))


async def get_starter_packs(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getStarterPacks``: basic views of the packs found, in the order asked."""
    return await _packs_answer(ctx, list(ctx.params["uris"]), None)


async def get_actor_starter_packs(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getActorStarterPacks``: ``actor``'s packs, newest first."""
    subject = await subject_of(ctx)
    cursor, limit = _page_of(ctx)
    page = await graph_store.starter_packs_of(ctx.pds.database.client, subject, cursor, limit)
    return await _packs_answer(ctx, [row[0] for row in page.rows], page)


async def get_suggested_follows_by_actor(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getSuggestedFollowsByActor``: the operator's curated
    ``suggested_actors`` (the official AppView, without a suggestions service, has no
    others), without ``actor``, the viewer, those the viewer follows, mutes or blocks."""
    subject = await subject_of(ctx)
    settings = AppviewSettings.of(ctx.pds)
    resolved = await resolve_actors(ctx.pds, list(settings.suggested_actors))
    candidates = list(
        dict.fromkeys(resolved[i] for i in settings.suggested_actors if i in resolved)
    )
    viewer = viewer_of(ctx)
    state = await hydrate_graph(ctx.pds, viewer, candidates)
    views = _views(ctx, state)
    actors = state.actors
    suggestions = [
        view
        for did in candidates
        if did not in (subject, viewer)
        and did not in actors.following
        and did not in actors.muted
        and did not in actors.muted_by_list
        and not actors.viewer_block(did)
        and (view := views.shown_profile(did)) is not None
    ]
    return await answer(ctx, {"suggestions": suggestions})
