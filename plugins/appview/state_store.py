"""Private per-account state that is in no repo: mutes, list mutes, thread mutes and
activity subscriptions (raw SQL on the plugin's tables).

The hydration reads them (:mod:`.view_store`); the ``app.bsky.graph`` mute methods and
``app.bsky.notification.putActivitySubscription`` write them through these functions.
Each change is idempotent: muting twice keeps one row, unmuting what is not muted changes
nothing.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.records import now_iso
from exprsn_pds.plugins.appview.sql import execute


async def mute(client: BaseDBAsyncClient, did: str, subject: str) -> None:
    """``did`` mutes ``subject``."""
    await execute(
        client,
        "INSERT INTO appview_mute (did, subject_did, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (did, subject_did) DO NOTHING",
        [did, subject, now_iso()],
    )


async def unmute(client: BaseDBAsyncClient, did: str, subject: str) -> None:
    """``did`` no longer mutes ``subject``."""
    await execute(
        client, "DELETE FROM appview_mute WHERE did = ? AND subject_did = ?", [did, subject]
    )


async def mute_list(client: BaseDBAsyncClient, did: str, list_uri: str) -> None:
    """``did`` mutes every member of ``list_uri``."""
    await execute(
        client,
        "INSERT INTO appview_list_mute (did, list_uri, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (did, list_uri) DO NOTHING",
        [did, list_uri, now_iso()],
    )


async def unmute_list(client: BaseDBAsyncClient, did: str, list_uri: str) -> None:
    """``did`` no longer mutes the list ``list_uri``."""
    await execute(
        client, "DELETE FROM appview_list_mute WHERE did = ? AND list_uri = ?", [did, list_uri]
    )


async def mute_thread(client: BaseDBAsyncClient, did: str, root_uri: str) -> None:
    """``did`` mutes the thread rooted at ``root_uri``."""
    await execute(
        client,
        "INSERT INTO appview_thread_mute (did, root_uri, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (did, root_uri) DO NOTHING",
        [did, root_uri, now_iso()],
    )


async def unmute_thread(client: BaseDBAsyncClient, did: str, root_uri: str) -> None:
    """``did`` no longer mutes the thread rooted at ``root_uri``."""
    await execute(
        client, "DELETE FROM appview_thread_mute WHERE did = ? AND root_uri = ?", [did, root_uri]
    )


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
