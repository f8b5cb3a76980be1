"""This server as a feed generator service: ``app.bsky.feed.getFeedSkeleton`` and
``describeFeedGenerator`` for the feed algorithms plugins contribute
(``pds_feed_algorithms``, see ``docs/plugin_hooks.md``).

A feed is named by the record key of its ``app.bsky.feed.generator`` record: any
generator URI whose key is an algorithm's name asks for that algorithm (the record, in
whichever repo, names this server's service DID as its ``did``). Auth is optional: a
service JWT of the viewer (``aud`` this server's service DID, ``lxm``
``app.bsky.feed.getFeedSkeleton``, as an AppView sends it) or a session of an account
here; without either the viewer is anonymous.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Final

from exprsn_pds import (
    ANONYMOUS,
    Credentials,
    FeedSkeleton,
    InvalidRequest,
    Pds,
    XrpcContext,
    XrpcResponse,
    access_auth,
    service_auth,
)
from exprsn_pds.plugins.appview import feed_algorithm_store
from exprsn_pds.plugins.appview.common import answer, viewer_of

if TYPE_CHECKING:
    from quart import Request

GENERATOR: Final = "app.bsky.feed.generator"
FEED_DEFS: Final = "app.bsky.feed.defs"
SESSION_TYP: Final = "at+jwt"
_VERIFY_SERVICE: Final = service_auth()


async def skeleton_auth(request: Request, pds: Pds) -> Credentials:
    """Anonymous, a session here (a token of type ``at+jwt``), or a viewer's service JWT
    for this server."""
    authorization = request.headers.get("Authorization", "").strip()
    if not authorization:
        return ANONYMOUS
    if _token_type(authorization.partition(" ")[2]) == SESSION_TYP:
        return await access_auth(request, pds)
    return await _VERIFY_SERVICE(request, pds)


def _token_type(token: str) -> object:
    """The ``typ`` of a JWT's header, ``None`` when it is no JWT."""
    header = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        return None
    return decoded.get("typ") if isinstance(decoded, dict) else None


def algorithm_name(feed: str) -> str | None:
    """The record key of a generator URI ``at://<did>/app.bsky.feed.generator/<rkey>``."""
    parts = feed.removeprefix("at://").split("/")
    if not feed.startswith("at://") or len(parts) != 3 or parts[1] != GENERATOR:
        return None
    return parts[2]


async def local_skeleton(
    pds: Pds, feed: str, viewer: str | None, limit: int, cursor: str | None
) -> FeedSkeleton:
    """A page of the local algorithm ``feed`` names; 400 ``UnknownFeed`` for none."""
    name = algorithm_name(feed)
    algorithm = pds.feed_algorithms.get(name) if name is not None else None
    if algorithm is None:
        raise InvalidRequest(f"Unknown feed: {feed}", error="UnknownFeed")
    return await algorithm.fetch(pds, viewer, limit, cursor)


def skeleton_body(skeleton: FeedSkeleton) -> dict[str, Any]:
    """``skeleton`` as ``getFeedSkeleton`` answers it."""
    feed: list[dict[str, Any]] = []
    for item in skeleton.items:
        entry: dict[str, Any] = {"post": item.post}
        if item.repost is not None:
            entry["reason"] = {"$type": f"{FEED_DEFS}#skeletonReasonRepost", "repost": item.repost}
        if item.feed_context is not None:
            entry["feedContext"] = item.feed_context
        feed.append(entry)
    body: dict[str, Any] = {"feed": feed}
    if skeleton.cursor is not None:
        body["cursor"] = skeleton.cursor
    if skeleton.req_id is not None:
        body["reqId"] = skeleton.req_id
    return body


async def get_feed_skeleton(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getFeedSkeleton``: a page of the local feed ``feed`` for the caller
    (if any); 400 ``UnknownFeed`` when no algorithm here has its name."""
    skeleton = await local_skeleton(
        ctx.pds,
        ctx.params["feed"],
        viewer_of(ctx),
        ctx.params["limit"],
        ctx.params.get("cursor"),
    )
    return await answer(ctx, skeleton_body(skeleton), labelers=False)


def feed_uris(pds: Pds, published: list[str]) -> list[str]:
    """The URI of each algorithm: its published generator records among ``published``
    (those naming this server's service DID), else one under the service DID itself."""
    uris: list[str] = []
    for name in pds.feed_algorithms:
        records = [uri for uri in published if algorithm_name(uri) == name]
        uris += records or [f"at://{pds.settings.service_did}/{GENERATOR}/{name}"]
    return uris


async def describe_feed_generator(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.describeFeedGenerator``: this server's service DID and its feeds."""
    pds = ctx.pds
    published = await feed_algorithm_store.generators_of_service(
        pds.database.client, pds.settings.service_did
    )
    body = {
        "did": pds.settings.service_did,
        "feeds": [{"uri": u} for u in feed_uris(pds, published)],
    }
    return await answer(ctx, body, labelers=False)
