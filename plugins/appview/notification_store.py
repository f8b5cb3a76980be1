"""The notification tables as raw SQL (SQLite and PostgreSQL): the rows the indexer writes,
the pages ``listNotifications`` reads, seen times, preferences and push registrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.records import now_iso
from exprsn_pds.sql import Row, execute, fetch, placeholders


@dataclass(frozen=True)
class NewNotification:
    """A notification to write: ``record_uri`` by ``author_did`` notifies ``did``."""

    did: str
    author_did: str
    record_uri: str
    record_cid: str
    reason: str
    reason_subject: str | None
    sort_at: str


@dataclass(frozen=True)
class StoredNotification(NewNotification):
    """A notification as stored: the one written, with its row ``id``."""

    id: int


COLUMNS = "id, did, author_did, record_uri, record_cid, reason, reason_subject, sort_at"


def _stored(row: Sequence[object]) -> StoredNotification:
    return StoredNotification(
        id=int(str(row[0])),
        did=str(row[1]),
        author_did=str(row[2]),
        record_uri=str(row[3]),
        record_cid=str(row[4]),
        reason=str(row[5]),
        reason_subject=None if row[6] is None else str(row[6]),
        sort_at=str(row[7]),
    )


async def insert(client: BaseDBAsyncClient, item: NewNotification) -> StoredNotification | None:
    """Write ``item`` unless its record already notified that recipient; the row written,
    or ``None`` when it was there (the indexer applies events at least once; the indexer's
    actor lock keeps two applications of one record from racing here)."""
    if await _by_record(client, item.record_uri, item.did):
        return None
    await execute(
        client,
        "INSERT INTO appview_notification"
        " (did, author_did, record_uri, record_cid, reason, reason_subject, sort_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_uri, did) DO NOTHING",
        [
            item.did,
            item.author_did,
            item.record_uri,
            item.record_cid,
            item.reason,
            item.reason_subject,
            item.sort_at,
        ],
    )
    rows = await _by_record(client, item.record_uri, item.did)
    return _stored(rows[0]) if rows else None


async def _by_record(client: BaseDBAsyncClient, record_uri: str, did: str) -> list[Row]:
    return await fetch(
        client,
        f"SELECT {COLUMNS} FROM appview_notification WHERE record_uri = ? AND did = ?",
        [record_uri, did],
    )


async def remove_for_record(client: BaseDBAsyncClient, record_uri: str) -> None:
    """Delete the notifications ``record_uri`` made (the record is gone or replaced)."""
    await execute(client, "DELETE FROM appview_notification WHERE record_uri = ?", [record_uri])


async def forget(client: BaseDBAsyncClient, did: str) -> None:
    """Delete what ``did`` keeps here: its notifications, seen time, preferences, pushes."""
    await execute(client, "DELETE FROM appview_notification WHERE did = ?", [did])
    for table in (
        "appview_notification_seen",
        "appview_notification_preferences",
        "appview_push_registration",
    ):
        await execute(client, f"DELETE FROM {table} WHERE did = ?", [did])


@dataclass(frozen=True)
class PageQuery:
    """What one ``listNotifications`` page asks for."""

    did: str
    limit: int
    reasons: tuple[str, ...] = ()
    priority: bool = False
    before: tuple[str, str] | None = None
    """``(sort_at, record_cid)`` of the previous page's last item."""


MUTED_AUTHOR = (
    " AND author_did NOT IN (SELECT subject_did FROM appview_mute WHERE did = ?)"
    " AND author_did NOT IN (SELECT i.subject_did FROM appview_list_mute m"
    " JOIN appview_list_item i ON i.list_uri = m.list_uri WHERE m.did = ?)"
)
FOLLOWED_AUTHOR = " AND author_did IN (SELECT subject_did FROM appview_follow WHERE did = ?)"


async def page(client: BaseDBAsyncClient, query: PageQuery) -> list[StoredNotification]:
    """Newest first, without authors the recipient mutes (directly or by list); blocks are
    the caller's to drop, after the page is cut, as the official AppView does."""
    text = f"SELECT {COLUMNS} FROM appview_notification WHERE did = ?" + MUTED_AUTHOR
    values: list[object] = [query.did, query.did, query.did]
    if query.reasons:
        text += f" AND reason IN ({placeholders(len(query.reasons))})"
        values.extend(query.reasons)
    if query.priority:
        text += FOLLOWED_AUTHOR
        values.append(query.did)
    if query.before is not None:
        text += " AND (sort_at < ? OR (sort_at = ? AND record_cid < ?))"
        values.extend([query.before[0], query.before[0], query.before[1]])
    text += " ORDER BY sort_at DESC, record_cid DESC LIMIT ?"
    values.append(query.limit)
    return [_stored(row) for row in await fetch(client, text, values)]


async def newest(client: BaseDBAsyncClient, did: str) -> str | None:
    """The ``sort_at`` of ``did``'s newest notification, hidden ones included."""
    rows = await fetch(client, "SELECT MAX(sort_at) FROM appview_notification WHERE did = ?", [did])
    return None if not rows or rows[0][0] is None else str(rows[0][0])


async def unread_count(
    client: BaseDBAsyncClient, did: str, seen_at: str | None, *, priority: bool
) -> int:
    """How many of ``did``'s notifications are newer than ``seen_at`` (all without one);
    muted and blocked authors' count, as in the official AppView."""
    text = "SELECT COUNT(*) FROM appview_notification WHERE did = ?"
    values: list[object] = [did]
    if seen_at is not None:
        text += " AND sort_at > ?"
        values.append(seen_at)
    if priority:
        text += FOLLOWED_AUTHOR
        values.append(did)
    rows = await fetch(client, text, values)
    return int(rows[0][0])


async def seen_at(client: BaseDBAsyncClient, did: str) -> str | None:
    """When ``did`` last marked its notifications seen."""
    rows = await fetch(client, "SELECT seen_at FROM appview_notification_seen WHERE did = ?", [did])
    return str(rows[0][0]) if rows else None


async def set_seen_at(client: BaseDBAsyncClient, did: str, seen: str) -> None:
    """Record ``updateSeen``."""
    await execute(
        client,
        "INSERT INTO appview_notification_seen (did, seen_at) VALUES (?, ?)"
        " ON CONFLICT (did) DO UPDATE SET seen_at = excluded.seen_at",
        [did, seen],
    )


async def preferences(client: BaseDBAsyncClient, did: str) -> str | None:
    """``did``'s stored notification preferences (JSON text)."""
    rows = await fetch(
        client, "SELECT preferences FROM appview_notification_preferences WHERE did = ?", [did]
    )
    return str(rows[0][0]) if rows else None


async def set_preferences(client: BaseDBAsyncClient, did: str, text: str) -> None:
    """Store ``did``'s notification preferences (JSON text)."""
    await execute(
        client,
        "INSERT INTO appview_notification_preferences (did, preferences, updated_at)"
        " VALUES (?, ?, ?) ON CONFLICT (did) DO UPDATE"
        " SET preferences = excluded.preferences, updated_at = excluded.updated_at",
        [did, text, now_iso()],
    )


@dataclass(frozen=True)
class Push:
    """A push registration."""

    did: str
    service_did: str
    token: str
    platform: str
    app_id: str
    age_restricted: bool = False


async def register_push(client: BaseDBAsyncClient, push: Push) -> None:
    """Store (or refresh) a push registration."""
    await execute(
        client,
        "INSERT INTO appview_push_registration"
        " (did, service_did, token, platform, app_id, age_restricted, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (did, service_did, token) DO UPDATE"
        " SET platform = excluded.platform, app_id = excluded.app_id,"
        " age_restricted = excluded.age_restricted",
        [
            push.did,
            push.service_did,
            push.token,
            push.platform,
            push.app_id,
            push.age_restricted,
            now_iso(),
        ],
    )


async def unregister_push(client: BaseDBAsyncClient, push: Push) -> None:
    """Forget a push registration."""
    await execute(
        client,
        "DELETE FROM appview_push_registration WHERE did = ? AND service_did = ? AND token = ?",
        [push.did, push.service_did, push.token],
    )


async def pushes(client: BaseDBAsyncClient, did: str) -> list[Push]:
    """``did``'s push registrations."""
    rows = await fetch(
        client,
        "SELECT did, service_did, token, platform, app_id, age_restricted"
        " FROM appview_push_registration WHERE did = ? ORDER BY id",
        [did],
    )
    return [Push(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]


async def subscriptions_page(
    client: BaseDBAsyncClient, did: str, limit: int, before: int | None
) -> list[tuple[int, str]]:
    """``(id, subject_did)`` of ``did``'s activity subscriptions, newest first."""
    text = "SELECT id, subject_did FROM appview_activity_subscription WHERE did = ?"
    values: list[object] = [did]
    if before is not None:
        text += " AND id < ?"
        values.append(before)
    text += " ORDER BY id DESC LIMIT ?"
    values.append(limit)
    return [(int(r[0]), str(r[1])) for r in await fetch(client, text, values)]


async def after(
    client: BaseDBAsyncClient, did: str, after_id: int, ids: Sequence[int] | None, limit: int
) -> list[StoredNotification]:
    """``did``'s notifications with an id above ``after_id`` (only ``ids``, if given), oldest
    first, without authors ``did`` mutes (as ``listNotifications``)."""
    text = f"SELECT {COLUMNS} FROM appview_notification WHERE did = ? AND id > ?" + MUTED_AUTHOR
    values: list[object] = [did, after_id, did, did]
    if ids is not None:
        if not ids:
            return []
        text += f" AND id IN ({placeholders(len(ids))})"
        values.extend(ids)
    text += " ORDER BY id LIMIT ?"
    values.append(limit)
    return [_stored(row) for row in await fetch(client, text, values)]


async def newest_id(client: BaseDBAsyncClient, did: str) -> int:
    """The id of ``did``'s newest notification (0 without any)."""
    rows = await fetch(client, "SELECT MAX(id) FROM appview_notification WHERE did = ?", [did])
    return 0 if not rows or rows[0][0] is None else int(rows[0][0])
