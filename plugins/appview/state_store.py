"""Private per-account state that is in no repo: mutes, list mutes, thread mutes,
bookmarks and activity subscriptions (raw SQL on the plugin's tables).

The hydration reads them (:mod:`.view_store`); the ``app.bsky.graph`` mute methods and
``app.bsky.notification.putActivitySubscription`` write them through these functions.
Each change is idempotent: muting twice keeps one row, unmuting what is not muted changes
nothing.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.records import now_iso
from exprsn_pds.sql import execute


async def _mark(client: BaseDBAsyncClient, table: str, column: str, did: str, value: str) -> None:
    """A row of ``did`` and ``value`` (in ``column``) in ``table``, made now unless there."""
    await execute(
        client,
        f"INSERT INTO {table} (did, {column}, created_at) VALUES (?, ?, ?)"
        f" ON CONFLICT (did, {column}) DO NOTHING",
        [did, value, now_iso()],
    )


async def _unmark(client: BaseDBAsyncClient, table: str, column: str, did: str, value: str) -> None:
    """No row of ``did`` and ``value`` (in ``column``) in ``table``."""
    await execute(client, f"DELETE FROM {table} WHERE did = ? AND {column} = ?", [did, value])


async def mute(
    client: BaseDBAsyncClient,
    did: str,
    subject: str,
    *,
    only_reposts: bool = False,
    only_quoteposts: bool = False,
) -> None:
    """``did`` mutes ``subject``: fully, or only its reposts and/or quote posts; the new
    scope replaces the one stored."""
    await unmute(client, did, subject)
    if not (only_reposts or only_quoteposts):
        await _mark(client, "appview_mute", "subject_did", did, subject)
        return
    await execute(
        client,
        "INSERT INTO appview_scoped_mute"
        " (did, subject_did, only_reposts, only_quoteposts, created_at) VALUES (?, ?, ?, ?, ?)",
        [did, subject, only_reposts, only_quoteposts, now_iso()],
    )


async def unmute(client: BaseDBAsyncClient, did: str, subject: str) -> None:
    """``did`` no longer mutes ``subject``, in any scope."""
    await _unmark(client, "appview_mute", "subject_did", did, subject)
    await _unmark(client, "appview_scoped_mute", "subject_did", did, subject)


async def mute_list(client: BaseDBAsyncClient, did: str, list_uri: str) -> None:
    """``did`` mutes every member of ``list_uri``."""
    await _mark(client, "appview_list_mute", "list_uri", did, list_uri)


async def unmute_list(client: BaseDBAsyncClient, did: str, list_uri: str) -> None:
    """``did`` no longer mutes the list ``list_uri``."""
    await _unmark(client, "appview_list_mute", "list_uri", did, list_uri)


async def mute_thread(client: BaseDBAsyncClient, did: str, root_uri: str) -> None:
    """``did`` mutes the thread rooted at ``root_uri``."""
    await _mark(client, "appview_thread_mute", "root_uri", did, root_uri)


async def unmute_thread(client: BaseDBAsyncClient, did: str, root_uri: str) -> None:
    """``did`` no longer mutes the thread rooted at ``root_uri``."""
    await _unmark(client, "appview_thread_mute", "root_uri", did, root_uri)


async def set_activity_subscription(
    client: BaseDBAsyncClient, did: str, subject: str, *, post: bool, reply: bool
) -> None:
    """``did``'s subscription to ``subject``'s posts and replies (both off: none)."""
    if not post and not reply:
        await execute(
            client,
            "DELETE FROM appview_activity_subscription WHERE did = ? AND subject_did = ?",
            [did, subject],
        )
        return
    await execute(
        client,
        "INSERT INTO appview_activity_subscription (did, subject_did, post, reply, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (did, subject_did) DO UPDATE"
        " SET post = excluded.post, reply = excluded.reply",
        [did, subject, post, reply, now_iso()],
    )


async def bookmark(client: BaseDBAsyncClient, did: str, uri: str, cid: str) -> None:
    """``did`` bookmarks the post ``uri`` (version ``cid``)."""
    await execute(
        client,
        "INSERT INTO appview_bookmark (did, subject_uri, subject_cid, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (did, subject_uri) DO NOTHING",
        [did, uri, cid, now_iso()],
    )


async def unbookmark(client: BaseDBAsyncClient, did: str, uri: str) -> None:
    """``did`` no longer bookmarks ``uri``."""
    await _unmark(client, "appview_bookmark", "subject_uri", did, uri)
