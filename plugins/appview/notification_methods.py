"""``app.bsky.notification``: listNotifications, getUnreadCount, updateSeen,
putActivitySubscription, listActivitySubscriptions, registerPush and unregisterPush.

The notifications were written when their records were indexed (:mod:`.notifications`);
these methods only page, filter and present them. As the official AppView:

- ``listNotifications`` leaves out authors the caller mutes (directly or by list) in the
  query itself, and drops authors blocked either way, or no longer active, after the page is
  cut (a page can hold fewer than ``limit`` items and still carry a cursor);
- ``isRead`` is ``indexedAt < seenAt``, where ``seenAt`` is the last ``updateSeen`` (or the
  ``seenAt`` parameter) and, before any, the newest notification's time;
- ``getUnreadCount`` counts every notification newer than the last ``updateSeen`` (all
  before one), muted and blocked authors included.
"""

from __future__ import annotations

import json
from typing import Any, Final

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse, caller_did
from exprsn_pds.plugins.appview import notification_store as store
from exprsn_pds.plugins.appview import state_store
from exprsn_pds.plugins.appview.actors import views_of
from exprsn_pds.plugins.appview.common import answer
from exprsn_pds.plugins.appview.hydrate import hydrate_actors
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.plugins.appview.view_store import records

CURSOR_SEPARATOR: Final = "::"


def _cursor(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    sort_at, separator, cid = cursor.partition(CURSOR_SEPARATOR)
    if not separator or iso_time(sort_at) != sort_at or not cid or len(cid) > 256:
        raise InvalidRequest("Malformed cursor")
    return sort_at, cid


def _seen_param(ctx: XrpcContext) -> str | None:
    value = ctx.params.get("seenAt")
    return None if value is None else iso_time(value)


async def notification_views(
    ctx: XrpcContext, viewer: str, items: list[store.StoredNotification], seen_at: str | None
) -> list[dict[str, Any]]:
    """``app.bsky.notification.listNotifications#notification`` of each item ``viewer``
    may see (authors active and not blocked either way, records still indexed)."""
    client = ctx.pds.database.client
    authors = list(dict.fromkeys(item.author_did for item in items))
    state = await hydrate_actors(ctx.pds, viewer, authors)
    views = views_of(ctx, state)
    found = await records(client, {item.record_uri for item in items})
    shown: list[dict[str, Any]] = []
    for item in items:
        record = found.get(item.record_uri)
        author = views.profile(item.author_did)
        if author is not None and "viewer" in author:
            # the official shows no subscription on a notification's author
            author["viewer"].pop("activitySubscription", None)
        if (
            record is None
            or author is None
            or not state.visible(item.author_did)
            or state.viewer_block(item.author_did)
        ):
            continue
        view: dict[str, Any] = {
            "uri": item.record_uri,
            "cid": record[0],
            "author": author,
            "reason": item.reason,
            "record": json.loads(record[1]),
            "isRead": seen_at is not None and item.sort_at < seen_at,
            "indexedAt": item.sort_at,
            "labels": [],
        }
        if item.reason_subject is not None:
            view["reasonSubject"] = item.reason_subject
        shown.append(view)
    return shown


async def list_notifications(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.notification.listNotifications``: the caller's notifications, newest
    first, filtered by ``reasons`` and ``priority`` (authors the caller follows), paged by
    ``cursor``."""
    viewer = caller_did(ctx.auth)
    client = ctx.pds.database.client
    limit: int = ctx.params["limit"]
    priority = bool(ctx.params.get("priority", False))
    query = store.PageQuery(
        did=viewer,
        limit=limit,
        reasons=tuple(ctx.params.get("reasons") or ()),
        priority=priority,
        before=_cursor(ctx.params.get("cursor")),
    )
    page = await store.page(client, query)
    seen_at = _seen_param(ctx) or await store.seen_at(client, viewer)
    if seen_at is None:
        seen_at = await store.newest(client, viewer)
    body: dict[str, Any] = {
        "notifications": await notification_views(ctx, viewer, page, seen_at),
        "priority": priority,
    }
    if seen_at is not None:
        body["seenAt"] = seen_at
    if len(page) == limit:
        last = page[-1]
        body["cursor"] = f"{last.sort_at}{CURSOR_SEPARATOR}{last.record_cid}"
    return await answer(ctx, body)


async def get_unread_count(ctx: XrpcContext) -> dict[str, Any]:
    """``app.bsky.notification.getUnreadCount``: notifications newer than the last
    ``updateSeen`` (or the ``seenAt`` parameter); every one before any."""
    viewer = caller_did(ctx.auth)
    client = ctx.pds.database.client
    seen_at = _seen_param(ctx) or await store.seen_at(client, viewer)
    priority = bool(ctx.params.get("priority", False))
    return {"count": await store.unread_count(client, viewer, seen_at, priority=priority)}


async def update_seen(ctx: XrpcContext) -> None:
    """``app.bsky.notification.updateSeen``: remember ``seenAt``."""
    viewer = caller_did(ctx.auth)
    seen_at = iso_time(ctx.input["seenAt"])
    if seen_at is None:
        raise InvalidRequest("seenAt must be a datetime with a time zone")
    async with ctx.pds.database.transaction() as client:
        await store.set_seen_at(client, viewer, seen_at)


async def put_activity_subscription(ctx: XrpcContext) -> dict[str, Any]:
    """``app.bsky.notification.putActivitySubscription``: subscribe to (or, with both off,
    unsubscribe from) the subject's posts and replies."""
    viewer = caller_did(ctx.auth)
    subject: str = ctx.input["subject"]
    wanted: dict[str, Any] = ctx.input["activitySubscription"]
    post, reply = bool(wanted["post"]), bool(wanted["reply"])
    if subject == viewer:
        raise InvalidRequest("Cannot subscribe to oneself")
    async with ctx.pds.database.transaction() as client:
        await state_store.set_activity_subscription(client, viewer, subject, post=post, reply=reply)
    body: dict[str, Any] = {"subject": subject}
    if post or reply:
        body["activitySubscription"] = {"post": post, "reply": reply}
    return body


async def list_activity_subscriptions(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.notification.listActivitySubscriptions``: the accounts the caller
    subscribed to, newest first, as ``profileView`` with ``viewer.activitySubscription``."""
    viewer = caller_did(ctx.auth)
    limit: int = ctx.params["limit"]
    cursor = ctx.params.get("cursor")
    if cursor is not None and (not cursor.isdigit() or len(cursor) > 18):
        raise InvalidRequest("Malformed cursor")
    client = ctx.pds.database.client
    rows = await store.subscriptions_page(
        client, viewer, limit, None if cursor is None else int(cursor)
    )
    dids = [did for _, did in rows]
    state = await hydrate_actors(ctx.pds, viewer, dids)
    views = views_of(ctx, state)
    body: dict[str, Any] = {
        "subscriptions": [
            view for did in dids if state.visible(did) and (view := views.profile(did)) is not None
        ]
    }
    if len(rows) == limit:
        body["cursor"] = str(rows[-1][0])
    return await answer(ctx, body)


PUSH_LIMITS: Final = {"serviceDid": 2048, "token": 4096, "platform": 16, "appId": 512}


def _push(ctx: XrpcContext) -> store.Push:
    data = ctx.input
    for name, limit in PUSH_LIMITS.items():
        if len(data[name]) > limit or "\x00" in data[name]:
            raise InvalidRequest(f"{name} is too long (at most {limit} characters)")
    return store.Push(
        did=caller_did(ctx.auth),
        service_did=data["serviceDid"],
        token=data["token"],
        platform=data["platform"],
        app_id=data["appId"],
        age_restricted=bool(data.get("ageRestricted", False)),
    )


async def register_push(ctx: XrpcContext) -> None:
    """``app.bsky.notification.registerPush``: store the token (nothing is pushed yet:
    delivery comes with a push service)."""
    async with ctx.pds.database.transaction() as client:
        await store.register_push(client, _push(ctx))


async def unregister_push(ctx: XrpcContext) -> None:
    """``app.bsky.notification.unregisterPush``: forget the token."""
    async with ctx.pds.database.transaction() as client:
        await store.unregister_push(client, _push(ctx))
