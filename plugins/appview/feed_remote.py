"""A skeleton from another feed generator service, as the official ``getFeed`` asks for it.

The generator's service DID is resolved (``pds.identity.resolve_did``) and its ``#bsky_fg``
endpoint asked ``app.bsky.feed.getFeedSkeleton`` (``feed``, ``limit``, ``cursor``) with a
service JWT of the viewer (``aud`` the service DID, ``lxm`` the method, signed with the
viewer's repo key; none for an anonymous viewer) and the client's ``Accept-Language``,
within ``feed_timeout_s`` for the whole exchange and at most :data:`MAX_SKELETON_BYTES`.
Its failures are the official's answers:

- no document: 400 "could not resolve identity: <did>"; no ``#bsky_fg`` service: 400
  "invalid feed generator service details in did document: <did>";
- an XRPC error (a JSON ``{"error", "message"}`` body): passed through, a 400 as 400 (e.g.
  ``UnknownFeed``), anything else as 502 with the generator's error name;
- no answer in time, a network error, or an error status without an XRPC body: 502
  ``UpstreamFailure`` "feed unavailable";
- a 200 whose body is not a ``getFeedSkeleton`` output: 502 ``InvalidFeedResponse`` "feed
  provided an invalid response".
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

import httpx

from exprsn_pds import FeedSkeleton, InvalidRequest, Pds, SkeletonItem, UpstreamFailure
from exprsn_pds.plugins.appview.feed_generators import feed_service_endpoint
from exprsn_pds.service_auth import mint_service_jwt

SKELETON_NSID: Final = "app.bsky.feed.getFeedSkeleton"
MAX_SKELETON_BYTES: Final = 1_000_000
MAX_MESSAGE: Final = 300
REPOST_REASON: Final = "app.bsky.feed.defs#skeletonReasonRepost"
PIN_REASON: Final = "app.bsky.feed.defs#skeletonReasonPin"


class _Unavailable(Exception):
    """No usable HTTP answer."""


async def skeleton_endpoint(pds: Pds, service_did: str) -> str:
    """The ``#bsky_fg`` endpoint of ``service_did``; 400 as the official when none."""
    document = await pds.identity.resolve_did(service_did)
    if document is None:
        raise InvalidRequest(f"could not resolve identity: {service_did}")
    endpoint = feed_service_endpoint(service_did, document)
    if endpoint is None:
        raise InvalidRequest(
            f"invalid feed generator service details in did document: {service_did}"
        )
    return endpoint


async def remote_skeleton(
    pds: Pds,
    service_did: str,
    feed: str,
    viewer: str | None,
    params: dict[str, Any],
    timeout_s: float,
    languages: str | None = None,
) -> tuple[FeedSkeleton, list[bool]]:
    """The skeleton ``service_did`` answers for ``feed`` (``params``: ``limit`` and
    ``cursor``) and, per item, whether the generator marked it pinned; ``languages`` is
    the client's ``Accept-Language``, passed on as the official does."""
    url = (await skeleton_endpoint(pds, service_did)).rstrip("/") + f"/xrpc/{SKELETON_NSID}"
    headers: dict[str, str] = {}
    if languages:
        headers["Accept-Language"] = languages
    if viewer is not None:
        key = await pds.repos.signing_key(viewer)
        token = mint_service_jwt(key=key, iss=viewer, aud=service_did, lxm=SKELETON_NSID)
        headers["Authorization"] = f"Bearer {token}"
    query = {"feed": feed, **{k: v for k, v in params.items() if v is not None}}
    try:
        async with asyncio.timeout(timeout_s):
            status, raw = await _get(pds.http, url, query, headers)
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL, _Unavailable) as error:
        raise UpstreamFailure("feed unavailable") from error
    body = _json(raw)
    if status != 200:
        raise _xrpc_error(status, body)
    if not isinstance(body, dict):
        raise _invalid()
    try:
        pds.lexicons.validate_output(SKELETON_NSID, body)
    except ValueError as error:
        raise _invalid() from error
    return _skeleton(body)


async def _get(
    http: httpx.AsyncClient, url: str, query: dict[str, Any], headers: dict[str, str]
) -> tuple[int, bytes]:
    async with http.stream("GET", url, params=query, headers=headers) as response:
        received = bytearray()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > MAX_SKELETON_BYTES:
                raise _Unavailable(f"more than {MAX_SKELETON_BYTES} bytes")
        return response.status_code, bytes(received)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _invalid() -> UpstreamFailure:
    return UpstreamFailure("feed provided an invalid response", error="InvalidFeedResponse")


def _xrpc_error(status: int, body: Any) -> InvalidRequest | UpstreamFailure:
    """The generator's XRPC error passed through (a 400 stays a 400, others are 502)."""
    name = body.get("error") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name or len(name) > MAX_MESSAGE:
        return UpstreamFailure("feed unavailable")
    message = body.get("message")
    text = message[:MAX_MESSAGE] if isinstance(message, str) else name
    if status == 400:
        return InvalidRequest(text, error=name)
    return UpstreamFailure(text, error=name)


def _skeleton(body: dict[str, Any]) -> tuple[FeedSkeleton, list[bool]]:
    items: list[SkeletonItem] = []
    pins: list[bool] = []
    for entry in body["feed"]:
        reason = entry.get("reason") or {}
        kind = reason.get("$type")
        repost = reason.get("repost") if kind == REPOST_REASON else None
        items.append(SkeletonItem(entry["post"], repost, entry.get("feedContext")))
        pins.append(kind == PIN_REASON)
    return FeedSkeleton(items, body.get("cursor"), body.get("reqId")), pins
