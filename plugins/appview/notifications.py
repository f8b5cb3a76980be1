"""Notifications made when a record is indexed, in the transaction that indexes it.

:class:`NotificationWriter` is called by the indexer when a record's row enters the index
(:meth:`~NotificationWriter.record_indexed`) and when it leaves it
(:meth:`~NotificationWriter.record_removed`, on delete, on update before the new version,
when the account goes). A record notifies each recipient at most once (``(record_uri,
did)`` is unique), so applying an event twice writes nothing new. The rows written are kept
until the transaction has committed; the indexer then hands them to the live stream
(:meth:`~NotificationWriter.take`).

Reasons, as the official AppView makes them: ``like`` / ``repost`` of a record to its author
and ``like-via-repost`` / ``repost-via-repost`` to the author of the repost it came through;
``follow``; a post's ``mention`` (facets), ``quote`` (of a post), ``reply`` to the authors of
up to :data:`REPLY_ANCESTORS` ancestors (none when the reply breaks the root's threadgate;
none above a reply the threadgate hides; none to who muted the thread), and
``subscribed-post`` to the accounts subscribed to the author's posts (or replies), as the
author's ``app.bsky.notification.declaration`` allows; a profile's ``joinedViaStarterPack``
makes ``starterpack-joined`` for the pack's creator. Nobody is notified of their own records.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from contextvars import ContextVar
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview import notification_store as store
from exprsn_pds.plugins.appview import recipient_store
from exprsn_pds.plugins.appview.records import Extract, now_iso
from exprsn_pds.plugins.appview.thread_index import ReplyVerdict
from exprsn_pds.plugins.appview.threadgate import mentioned_dids

REPLY_ANCESTORS: Final = 5
POST_COLLECTION: Final = "app.bsky.feed.post"
REPOST_COLLECTION: Final = "app.bsky.feed.repost"
DECLARATION: Final = "app.bsky.notification.declaration"


def _did_of(uri: str | None) -> str | None:
    if uri is None or not uri.startswith("at://"):
        return None
    did = uri[len("at://") :].split("/", 1)[0]
    return did if did.startswith("did:") else None


def _collection_of(uri: str | None) -> str | None:
    parts = (uri or "")[len("at://") :].split("/")
    return parts[1] if len(parts) >= 3 else None


class _Recipients:
    """Who a record notifies, in order; each once, never its author."""

    def __init__(self, author: str) -> None:
        self.author = author
        self.seen = {author}
        self.items: list[tuple[str, str, str | None]] = []

    def add(self, did: str | None, reason: str, subject: str | None = None) -> None:
        if did is not None and did not in self.seen:
            self.seen.add(did)
            self.items.append((did, reason, subject))


_WRITTEN: ContextVar[list[store.StoredNotification] | None] = ContextVar(
    "appview_notifications_written", default=None
)
"""The notifications the event being applied (in this task) wrote."""


class NotificationWriter:
    """Writes and removes the notifications of the records an indexer applies."""

    def begin(self) -> None:
        """Start collecting what this task's next event writes."""
        _WRITTEN.set([])

    def take(self) -> list[store.StoredNotification]:
        """What was written since :meth:`begin` (its transactions committed)."""
        written = _WRITTEN.get() or []
        _WRITTEN.set(None)
        return written

    async def record_removed(self, client: BaseDBAsyncClient, uri: str) -> None:
        """The record ``uri`` left the index: its notifications go with it."""
        await store.remove_for_record(client, uri)

    async def account_forgotten(self, client: BaseDBAsyncClient, did: str) -> None:
        """``did`` was deleted: its notifications, seen time, preferences and pushes go."""
        await store.forget(client, did)

    async def record_indexed(
        self,
        client: BaseDBAsyncClient,
        extract: Extract,
        cid: str,
        verdict: ReplyVerdict | None,
    ) -> None:
        """The version ``cid`` of a record entered the index as ``extract``'s row (for a
        reply, with the thread index's ``verdict`` on it)."""
        row = extract.row
        author: str = row["did"]
        recipients = _Recipients(author)
        sort_at: str = row.get("indexed_at") or now_iso()
        if extract.table == "appview_post":
            await _post(client, row, recipients, verdict)
        elif extract.table in ("appview_like", "appview_repost"):
            reason = "like" if extract.table == "appview_like" else "repost"
            recipients.add(_did_of(row["subject_uri"]), reason, row["subject_uri"])
            if _collection_of(row["via_uri"]) == REPOST_COLLECTION:
                recipients.add(_did_of(row["via_uri"]), f"{reason}-via-repost", row["via_uri"])
        elif extract.table == "appview_follow":
            recipients.add(row["subject_did"], "follow")
        elif extract.table == "appview_profile" and row.get("joined_via_uri"):
            recipients.add(
                _did_of(row["joined_via_uri"]), "starterpack-joined", row["joined_via_uri"]
            )
            sort_at = now_iso()  # as the official: when the join was seen, not createdAt
        for did, reason, subject in recipients.items:
            item = store.NewNotification(did, author, row["uri"], cid, reason, subject, sort_at)
            written = await store.insert(client, item)
            if written is not None and (collected := _WRITTEN.get()) is not None:
                collected.append(written)


async def _post(
    client: BaseDBAsyncClient,
    row: dict[str, Any],
    recipients: _Recipients,
    verdict: ReplyVerdict | None,
) -> None:
    for did in mentioned_dids(row.get("facets")):
        recipients.add(did, "mention")
    if _collection_of(row.get("embed_uri")) == POST_COLLECTION:
        recipients.add(_did_of(row["embed_uri"]), "quote", row["embed_uri"])
    root = row.get("reply_root_uri")
    parent = row.get("reply_parent_uri")
    if root is not None and parent is not None and verdict is not None and not verdict.violates:
        hidden = set(verdict.gate.hidden) if verdict.gate is not None else set()
        await _ancestors(client, parent, hidden, recipients)
    reply = root is not None
    for did in await _subscribers(client, recipients.author, reply=reply):
        recipients.add(did, "subscribed-post")
    if root is not None:
        muted = await _thread_muters(client, root, [item[0] for item in recipients.items])
        recipients.items = [item for item in recipients.items if item[0] not in muted]


async def _ancestors(
    client: BaseDBAsyncClient, parent: str, hidden: set[str], recipients: _Recipients
) -> None:
    """``reply`` to the authors of the parent and its ancestors, up to five."""
    current: str | None = parent
    for _ in range(REPLY_ANCESTORS):
        if current is None:
            return
        found = await recipient_store.post_parent(client, current)
        if found is None:
            return
        recipients.add(found[0], "reply", current)
        if current in hidden:
            return
        current = found[1]


async def _subscribers(client: BaseDBAsyncClient, author: str, *, reply: bool) -> list[str]:
    """Who asked for ``author``'s posts (or replies) and may have them."""
    subscribers = await recipient_store.subscribers(client, author, reply=reply)
    if not subscribers:
        return []
    allowed = await _allow_subscriptions(client, author)
    if allowed == "none":
        return []
    followers = await recipient_store.followers_among(client, author, subscribers)
    if allowed == "mutuals":
        followers &= await recipient_store.followed_among(client, author, subscribers)
    return [did for did in subscribers if did in followers]


async def _allow_subscriptions(client: BaseDBAsyncClient, author: str) -> str:
    record = await recipient_store.declaration(client, author, DECLARATION)
    if record:
        value = json.loads(record).get("allowSubscriptions")
        if isinstance(value, str):
            return value
    return "followers"


async def _thread_muters(client: BaseDBAsyncClient, root: str, dids: Collection[str]) -> set[str]:
    if not dids:
        return set()
    return await recipient_store.thread_muters(client, root, dids)
