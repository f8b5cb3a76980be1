"""``io.exprsn.notification.getStreamToken`` and ``io.exprsn.notification.subscribe``: the
caller's notifications live, over a WebSocket.

A browser cannot set ``Authorization`` on a WebSocket, so a session first asks
``getStreamToken`` for a token: random, kept in the cache (Redis when configured, so any
process may accept it) for :data:`TOKEN_TTL_S`, and spent by the first ``subscribe`` that
presents it (``?token=``). A client that can set the header may use its access token
instead. Each stream carries only its own account's notifications, as ``listNotifications``
shows them (muted and blocked authors left out), in ``#notification`` messages whose
``seq`` is the cursor to resume after.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Final

from exprsn_pds import (
    AuthRequired,
    Credentials,
    InvalidRequest,
    Pds,
    SubscriptionMessage,
    XrpcContext,
    access_auth,
    caller_did,
)
from exprsn_pds.datamodel import json_to_ipld
from exprsn_pds.plugins.appview import notification_store as store
from exprsn_pds.plugins.appview.notification_methods import notification_views
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.plugins.appview.stream_hub import hub_of

if TYPE_CHECKING:
    from quart import Request

TOKEN_TTL_S: Final = 60.0
TOKEN_BYTES: Final = 32
TOKEN_KEY: Final = "appview:stream-token:"
STREAM_KIND: Final = "notification_stream"
BATCH: Final = 100
"""Notifications read and sent per query (replay pages, live batches)."""


async def get_stream_token(ctx: XrpcContext) -> dict[str, Any]:
    """A single-use token for the caller's ``subscribe``, valid :data:`TOKEN_TTL_S`."""
    did = caller_did(ctx.auth)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await ctx.pds.cache.set(TOKEN_KEY + token, did.encode(), ttl_s=TOKEN_TTL_S)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=TOKEN_TTL_S)
    return {"token": token, "expiresAt": iso_time(expires.isoformat())}


async def stream_auth(request: Request, pds: Pds) -> Credentials:
    """``?token=`` from ``getStreamToken`` (spent here), else the ``Authorization`` header's
    access token; neither: 401."""
    token = request.args.get("token")
    if token is None:
        if not request.headers.get("Authorization", "").strip():
            raise AuthRequired("Authentication Required", error="AuthMissing")
        return await access_auth(request, pds)
    key = TOKEN_KEY + token
    did = await pds.cache.get(key)
    if did is None:
        raise AuthRequired("The stream token is unknown, spent or expired", error="InvalidToken")
    await pds.cache.delete(key)
    return Credentials(kind=STREAM_KIND, did=did.decode())


async def subscribe(ctx: XrpcContext) -> AsyncGenerator[SubscriptionMessage, None]:
    """Stored notifications after ``cursor`` (none without one), then new ones as they are
    indexed; ends with ``ConsumerTooSlow`` when the client falls too far behind."""
    did = caller_did(ctx.auth)
    client = ctx.pds.database.client
    hub = hub_of(ctx.pds)
    queue = await hub.open(did)  # live before the replay: nothing falls in between
    try:
        cursor = ctx.params.get("cursor")
        last = int(cursor) if cursor is not None else await store.newest_id(client, did)
        while cursor is not None:
            page = await store.after(client, did, last, None, BATCH)
            async for message in _messages(ctx, did, page):
                yield message
            if not page:
                break
            last = page[-1].id
            if len(page) < BATCH:
                break
        while True:
            ids = [ident for ident in await queue.next_ids() if ident > last]
            if queue.ended == "overflow":
                raise InvalidRequest("Stream consumer too slow", error="ConsumerTooSlow")
            if queue.ended is not None:
                return
            for start in range(0, len(ids), BATCH):
                page = await store.after(client, did, last, ids[start : start + BATCH], BATCH)
                async for message in _messages(ctx, did, page):
                    yield message
                if page:
                    last = max(last, page[-1].id)
    finally:
        hub.close(queue)


async def _messages(
    ctx: XrpcContext, did: str, page: list[store.StoredNotification]
) -> AsyncGenerator[SubscriptionMessage, None]:
    if not page:
        return
    client = ctx.pds.database.client
    seen_at = await store.seen_at(client, did) or await store.newest(client, did)
    views = await notification_views(ctx, did, page, seen_at)
    by_uri = {view["uri"]: view for view in views}
    for item in page:
        if (view := by_uri.get(item.record_uri)) is not None:
            body = {"seq": item.id, "notification": json_to_ipld(view)}
            yield SubscriptionMessage("#notification", body)
