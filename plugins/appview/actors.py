"""``app.bsky.actor``: getProfile, getProfiles, searchActors, searchActorsTypeahead and
getSuggestions, as skeleton → hydration → rules → presentation."""

from __future__ import annotations

from typing import Any, Final

from exprsn_pds import InvalidRequest, Pds, XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview import view_store
from exprsn_pds.plugins.appview.actor_cache import actor_cache_of
from exprsn_pds.plugins.appview.common import accepted_server_labeler, answer, viewer_of
from exprsn_pds.plugins.appview.hydrate import ActorState, hydrate_actors
from exprsn_pds.plugins.appview.settings import AppviewSettings
from exprsn_pds.plugins.appview.views import Views

DEACTIVATED: Final = "deactivated"
TAKENDOWN: Final = "takendown"


def views_of(ctx: XrpcContext, state: ActorState) -> Views:
    """The views of ``state``, with image URLs from ``pds.image_urls`` and this server's
    labels for a caller that accepts them."""
    urls = ctx.pds.image_urls
    return Views(
        state, lambda preset, did, cid: urls.url(preset, did, cid), accepted_server_labeler(ctx)
    )


async def resolve_actors(pds: Pds, identifiers: list[str]) -> dict[str, str]:
    """``identifier → DID`` of the identifiers (DIDs or handles) the index knows (DIDs
    through the actor cache, handles from the index)."""
    dids = [i for i in identifiers if i.startswith("did:")]
    handles = {i.lower(): i for i in identifiers if not i.startswith("did:")}
    found = {did: did for did in await actor_cache_of(pds).load(dids)}
    if handles:
        client = pds.database.client
        for handle, did in (await view_store.dids_of_handles(client, set(handles))).items():
            found[handles[handle]] = did
    return found


async def get_profile(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.actor.getProfile``: ``profileViewDetailed`` of one actor.

    400 ``InvalidRequest`` "Profile not found" for an actor the index does not know,
    ``AccountDeactivated`` / ``AccountTakedown`` for one that is not active.
    """
    actor = ctx.params["actor"]
    did = (await resolve_actors(ctx.pds, [actor])).get(actor)
    if did is None:
        raise InvalidRequest("Profile not found")
    settings = AppviewSettings.of(ctx.pds)
    state = await hydrate_actors(
        ctx.pds,
        viewer_of(ctx),
        [did],
        detailed=True,
        known_followers_max=settings.known_followers_max,
    )
    status = state.actors[did].status
    if status == DEACTIVATED:
        raise InvalidRequest("Account is deactivated", error="AccountDeactivated")
    if status != "active":
        raise InvalidRequest("Account has been suspended", error="AccountTakedown")
    view = views_of(ctx, state).profile_detailed(did)
    assert view is not None  # the actor row was just read
    return await answer(ctx, view, repo_rev=True)


async def get_profiles(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.actor.getProfiles``: the actors found and active, in the order asked."""
    identifiers: list[str] = ctx.params["actors"]
    resolved = await resolve_actors(ctx.pds, identifiers)
    dids = list(dict.fromkeys(resolved[i] for i in identifiers if i in resolved))
    settings = AppviewSettings.of(ctx.pds)
    state = await hydrate_actors(
        ctx.pds,
        viewer_of(ctx),
        dids,
        detailed=True,
        known_followers_max=settings.known_followers_max,
    )
    views = views_of(ctx, state)
    profiles = [
        view
        for did in dids
        if state.visible(did) and (view := views.profile_detailed(did)) is not None
    ]
    return await answer(ctx, {"profiles": profiles}, repo_rev=True)


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise InvalidRequest("Malformed cursor")
    return int(cursor)


async def _search(ctx: XrpcContext, *, basic: bool) -> dict[str, Any]:
    """Active actors whose handle starts with ``q`` (or ``term``), as the official
    AppView without a search service matches: a case-sensitive prefix; those who block
    the viewer or whom the viewer blocks (directly or by list) are left out."""
    term = (ctx.params.get("q") or ctx.params.get("term") or "").strip()
    limit: int = ctx.params["limit"]
    offset = 0 if basic else _offset(ctx.params.get("cursor"))
    if not term:
        return {"actors": []}
    dids = await view_store.search_handles(
        ctx.pds.database.client, term, limit=limit, offset=offset
    )
    viewer = viewer_of(ctx)
    state = await hydrate_actors(ctx.pds, viewer, dids)
    views = views_of(ctx, state)
    shown = [did for did in dids if state.visible(did) and not state.viewer_block(did)]
    build = views.profile_basic if basic else views.profile
    body: dict[str, Any] = {"actors": [v for did in shown if (v := build(did)) is not None]}
    if not basic and len(dids) == limit:
        body["cursor"] = str(offset + limit)
    return body


async def search_actors(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.actor.searchActors``: ``profileView``s, paged by ``cursor``."""
    return await answer(ctx, await _search(ctx, basic=False))


async def search_actors_typeahead(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.actor.searchActorsTypeahead``: ``profileViewBasic``s."""
    return await answer(ctx, await _search(ctx, basic=True))


async def get_suggestions(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.actor.getSuggestions``: the operator's curated ``suggested_actors``
    (the official AppView reads a curated table too), without the viewer, those the
    viewer follows and those blocked either way; paged by ``cursor``."""
    settings = AppviewSettings.of(ctx.pds)
    resolved = await resolve_actors(ctx.pds, list(settings.suggested_actors))
    candidates = list(
        dict.fromkeys(resolved[i] for i in settings.suggested_actors if i in resolved)
    )
    offset = _offset(ctx.params.get("cursor"))
    limit: int = ctx.params["limit"]
    page = candidates[offset : offset + limit]
    viewer = viewer_of(ctx)
    state = await hydrate_actors(ctx.pds, viewer, page)
    views = views_of(ctx, state)
    actors = [
        view
        for did in page
        if did != viewer
        and state.visible(did)
        and not state.viewer_block(did)
        and did not in state.following
        and (view := views.profile(did)) is not None
    ]
    body: dict[str, Any] = {"actors": actors}
    if offset + limit < len(candidates):
        body["cursor"] = str(offset + limit)
    return await answer(ctx, body)
