"""``app.bsky.feed`` feed generator metadata: ``getFeedGenerator``, ``getFeedGenerators``,
``getActorFeeds`` and ``getSuggestedFeeds``, as the official AppView answers them.

A generator is shown while it is indexed and its creator is active (the ``generatorView``
of :class:`~.graph_views.GraphViews`); ``getFeedGenerator`` also needs the generator's
service DID to resolve to a document with a ``#bsky_fg`` ``BskyFeedGenerator`` service, and
then answers ``isOnline`` / ``isValid`` true as the official does. A generator naming this
server's own service DID is valid while this server generates feeds (its DID document
then names ``#bsky_fg``): it is not resolved over the network.
"""

from __future__ import annotations

from typing import Any, Final

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview import graph_store
from exprsn_pds.plugins.appview.common import accepted_server_labeler, answer, viewer_of
from exprsn_pds.plugins.appview.graph import subject_of
from exprsn_pds.plugins.appview.graph_hydrate import hydrate_graph
from exprsn_pds.plugins.appview.graph_store import Cursor
from exprsn_pds.plugins.appview.graph_views import GraphViews
from exprsn_pds.plugins.appview.settings import AppviewSettings

FEED_SERVICE_ID: Final = "bsky_fg"
FEED_SERVICE_TYPE: Final = "BskyFeedGenerator"
NOT_FOUND: Final = "could not find feed"


def feed_service_endpoint(did: str, document: dict[str, Any]) -> str | None:
    """The ``#bsky_fg`` ``BskyFeedGenerator`` service endpoint of ``did``'s DID document."""
    services = document.get("service")
    if not isinstance(services, list):
        return None
    for service in services:
        if (
            isinstance(service, dict)
            and service.get("id") in (f"#{FEED_SERVICE_ID}", f"{did}#{FEED_SERVICE_ID}")
            and service.get("type") == FEED_SERVICE_TYPE
            and isinstance(endpoint := service.get("serviceEndpoint"), str)
        ):
            return endpoint
    return None


async def _generator_views(ctx: XrpcContext, uris: list[str]) -> list[dict[str, Any]]:
    """``generatorView`` of each of ``uris`` that is shown, in order, once each."""
    unique = list(dict.fromkeys(uris))
    state = await hydrate_graph(ctx.pds, viewer_of(ctx), [], feeds=unique)
    urls = ctx.pds.image_urls
    views = GraphViews(
        state, lambda preset, did, cid: urls.url(preset, did, cid), accepted_server_labeler(ctx)
    )
    return [view for uri in unique if (view := views.generator(uri)) is not None]


async def get_feed_generator(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getFeedGenerator``: the view of ``feed``; 400 "could not find feed"
    for one not shown, and 400 when its service DID does not resolve or names no feed
    generator service."""
    uri: str = ctx.params["feed"]
    shown = await _generator_views(ctx, [uri])
    if not shown:
        raise InvalidRequest(NOT_FOUND)
    view = shown[0]
    service_did: str = view["did"]
    if service_did == ctx.pds.settings.service_did and ctx.pds.feed_algorithms:
        return await answer(ctx, {"view": view, "isOnline": True, "isValid": True})
    document = await ctx.pds.identity.resolve_did(service_did)
    if document is None:
        raise InvalidRequest(f"could not resolve identity: {service_did}")
    if feed_service_endpoint(service_did, document) is None:
        raise InvalidRequest(
            f"invalid feed generator service details in did document: {service_did}"
        )
    return await answer(ctx, {"view": view, "isOnline": True, "isValid": True})


async def get_feed_generators(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getFeedGenerators``: the views of the ``feeds`` shown, in the order
    asked."""
    return await answer(ctx, {"feeds": await _generator_views(ctx, list(ctx.params["feeds"]))})


async def get_actor_feeds(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getActorFeeds``: ``actor``'s generators, newest ``createdAt`` first;
    400 "Profile not found" for an unknown actor."""
    subject = await subject_of(ctx, not_found="Profile not found")
    limit: int = ctx.params["limit"]
    page = await graph_store.generators_of(
        ctx.pds.database.client, subject, Cursor.parse(ctx.params.get("cursor")), limit
    )
    body: dict[str, Any] = {"feeds": await _generator_views(ctx, [row[0] for row in page.rows])}
    if page.cursor is not None:
        body["cursor"] = page.cursor
    return await answer(ctx, body)


async def get_suggested_feeds(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getSuggestedFeeds``: the operator's curated ``suggested_feeds`` in
    their configured order (the official reads its curated table the same way); the cursor
    is the position of the last one given."""
    suggested = AppviewSettings.of(ctx.pds).suggested_feeds
    limit: int = ctx.params["limit"]
    start = _position(ctx.params.get("cursor"))
    chosen = list(suggested[start : start + limit])
    body: dict[str, Any] = {"feeds": await _generator_views(ctx, chosen)}
    if start + limit < len(suggested):
        body["cursor"] = str(start + limit)
    return await answer(ctx, body)


def _position(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise InvalidRequest("Malformed cursor")
    return int(cursor)
