"""The index's reads for hydration, as raw SQL: batched, one query per kind of fact.

Every function takes a client (``pds.database.client`` outside a transaction) and a set of
DIDs or URIs, and answers plain values; none runs a query per item.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.graph_store import SORT_AT
from exprsn_pds.sql import MAX_PARAMETERS, Row, fetch, fetch_in, placeholders, rows_by_key

MODLIST: Final = "app.bsky.graph.defs#modlist"
NOTIFICATION_DECLARATION: Final = "app.bsky.notification.declaration"
CHAT_DECLARATION: Final = "chat.bsky.actor.declaration"
#: Room left in one statement's parameters for the values besides an ``IN`` list.
PARAMETER_SLACK: Final = 10


def _chunks(values: Collection[str], parts: int = 1) -> list[list[str]]:
    size = max(1, (MAX_PARAMETERS - PARAMETER_SLACK) // parts)
    ordered = sorted(set(values))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


@dataclass(frozen=True)
class ActorRow:
    """An indexed actor's handle and standing."""

    did: str
    handle: str | None
    status: str


async def actors(client: BaseDBAsyncClient, dids: Collection[str]) -> dict[str, ActorRow]:
    """The index's actor rows of ``dids``."""
    rows = await fetch_in(
        client, "SELECT did, handle, status FROM appview_actor WHERE did IN ({holes})", dids
    )
    return {row[0]: ActorRow(row[0], row[1], row[2]) for row in rows}


async def dids_of_handles(client: BaseDBAsyncClient, handles: Collection[str]) -> dict[str, str]:
    """``handle → DID`` of the indexed actors among ``handles`` (lower-case)."""
    rows = await fetch_in(
        client, "SELECT handle, did FROM appview_actor WHERE handle IN ({holes})", handles
    )
    return {row[0]: row[1] for row in rows}


PROFILE_COLUMNS: Final = (
    "did",
    "uri",
    "cid",
    "display_name",
    "description",
    "pronouns",
    "website",
    "avatar_cid",
    "banner_cid",
    "joined_via_uri",
    "joined_via_cid",
    "pinned_uri",
    "pinned_cid",
    "self_labels",
    "created_at",
    "indexed_at",
)


async def profiles(client: BaseDBAsyncClient, dids: Collection[str]) -> dict[str, dict[str, Any]]:
    """Profile rows of ``dids`` (as column → value)."""
    return await rows_by_key(client, "appview_profile", PROFILE_COLUMNS, dids)


ACTOR_COUNT_COLUMNS: Final = ("followers", "follows", "posts", "lists", "feedgens", "starter_packs")


async def actor_counts(
    client: BaseDBAsyncClient, dids: Collection[str]
) -> dict[str, dict[str, int]]:
    """The aggregate counts of ``dids`` (missing: all zero)."""
    rows = await fetch_in(
        client,
        f"SELECT did, {', '.join(ACTOR_COUNT_COLUMNS)} FROM appview_actor_counts"
        " WHERE did IN ({holes})",
        dids,
    )
    return {
        row[0]: {name: int(value) for name, value in zip(ACTOR_COUNT_COLUMNS, row[1:], strict=True)}
        for row in rows
    }


async def labelers(client: BaseDBAsyncClient, dids: Collection[str]) -> set[str]:
    """Which of ``dids`` declare a labeler service."""
    rows = await fetch_in(client, "SELECT did FROM appview_labeler WHERE did IN ({holes})", dids)
    return {row[0] for row in rows}


async def declarations(
    client: BaseDBAsyncClient, collection: str, dids: Collection[str]
) -> dict[str, str]:
    """The ``self`` records of ``collection`` of ``dids`` (atproto JSON text)."""
    rows = await fetch_in(
        client,
        "SELECT did, record FROM appview_record WHERE collection = ? AND rkey = 'self'"
        " AND cid IS NOT NULL AND did IN ({holes})",
        dids,
        [collection],
    )
    return {row[0]: row[1] for row in rows}


async def records(
    client: BaseDBAsyncClient, uris: Collection[str]
) -> dict[str, tuple[str, str, str]]:
    """``uri → (cid, record JSON text, indexed_at)`` of the live records among ``uris``."""
    rows = await fetch_in(
        client,
        "SELECT uri, cid, record, indexed_at FROM appview_record"
        " WHERE cid IS NOT NULL AND uri IN ({holes})",
        uris,
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


@dataclass(frozen=True)
class Edge:
    """A follow or block record: ``did`` → ``subject_did``."""

    uri: str
    did: str
    subject_did: str


async def _edges(
    client: BaseDBAsyncClient,
    text: str,
    dids: Collection[str],
    params: Callable[[list[str]], list[Any]],
) -> list[Edge]:
    """``text`` (an ``IN ({holes})`` of ``dids`` twice) once per chunk of ``dids``, bound
    to ``params(chunk)``; its ``(uri, did, subject_did)`` rows as edges."""
    rows: list[Row] = []
    for chunk in _chunks(dids, parts=2):
        rows.extend(await fetch(client, text.format(holes=placeholders(len(chunk))), params(chunk)))
    return [Edge(row[0], row[1], row[2]) for row in rows]


async def edges_between(
    client: BaseDBAsyncClient, table: str, viewer: str, dids: Collection[str]
) -> list[Edge]:
    """``table``'s records (follows or blocks) from ``viewer`` to ``dids`` and back,
    oldest first."""
    return await _edges(
        client,
        f"SELECT uri, did, subject_did FROM {table}"
        " WHERE (did = ? AND subject_did IN ({holes}))"
        " OR (subject_did = ? AND did IN ({holes})) ORDER BY created_at, uri",
        dids,
        lambda chunk: [viewer, *chunk, viewer, *chunk],
    )


async def _edges_among(
    client: BaseDBAsyncClient, text: str, dids: Collection[str], before: Sequence[Any] = ()
) -> list[Edge]:
    """``text`` (an ``IN ({sources})`` and an ``IN ({targets})`` of ``dids``) once per pair
    of chunks of ``dids``, so an edge between two DIDs of different chunks is found too;
    bound to ``before``, the sources and the targets. Its ``(uri, did, subject_did, ...)``
    rows as edges, in the order of the columns after the third (the order of every chunk's
    rows together)."""
    chunks = _chunks(dids, parts=2)
    rows: list[Row] = []
    for sources in chunks:
        for targets in chunks:
            statement = text.format(
                sources=placeholders(len(sources)), targets=placeholders(len(targets))
            )
            rows.extend(await fetch(client, statement, [*before, *sources, *targets]))
    return [Edge(row[0], row[1], row[2]) for row in sorted(rows, key=lambda row: tuple(row[3:]))]


async def blocks_among(client: BaseDBAsyncClient, dids: Collection[str]) -> list[Edge]:
    """Direct blocks between any two of ``dids``."""
    return await _edges_among(
        client,
        "SELECT uri, did, subject_did FROM appview_block"
        " WHERE did IN ({sources}) AND subject_did IN ({targets})",
        dids,
    )


async def list_blocks_among(client: BaseDBAsyncClient, dids: Collection[str]) -> list[Edge]:
    """Blocks by moderation list between any two of ``dids``: ``uri`` is the list's."""
    return await _edges_among(
        client,
        "SELECT b.list_uri, b.did, i.subject_did, b.created_at, b.uri FROM appview_list_block b"
        " JOIN appview_list l ON l.uri = b.list_uri"
        " JOIN appview_list_item i ON i.list_uri = b.list_uri"
        " WHERE l.purpose = ? AND b.did IN ({sources}) AND i.subject_did IN ({targets})",
        dids,
        [MODLIST],
    )


async def list_blocks_by(
    client: BaseDBAsyncClient, viewer: str, lists: Collection[str]
) -> dict[str, str]:
    """``list uri → listblock uri`` of the lists among ``lists`` that ``viewer`` blocks."""
    rows = await fetch_in(
        client,
        "SELECT list_uri, uri FROM appview_list_block WHERE did = ? AND list_uri IN ({holes})",
        lists,
        [viewer],
    )
    return {row[0]: row[1] for row in rows}


async def marked(
    client: BaseDBAsyncClient, table: str, column: str, viewer: str, values: Collection[str]
) -> set[str]:
    """Which of ``values`` stand in ``column`` of a row of ``table`` that ``viewer`` owns."""
    rows = await fetch_in(
        client,
        f"SELECT {column} FROM {table} WHERE did = ? AND {column} IN ({{holes}})",
        values,
        [viewer],
    )
    return {row[0] for row in rows}


async def muted(client: BaseDBAsyncClient, viewer: str, dids: Collection[str]) -> set[str]:
    """Which of ``dids`` ``viewer`` mutes directly."""
    return await marked(client, "appview_mute", "subject_did", viewer, dids)


async def scoped_mutes(
    client: BaseDBAsyncClient, viewer: str, dids: Collection[str]
) -> dict[str, tuple[bool, bool]]:
    """``did → (only reposts, only quote posts)`` of ``viewer``'s scoped mutes of ``dids``."""
    rows = await fetch_in(
        client,
        "SELECT subject_did, only_reposts, only_quoteposts FROM appview_scoped_mute"
        " WHERE did = ? AND subject_did IN ({holes})",
        dids,
        [viewer],
    )
    return {str(row[0]): (bool(row[1]), bool(row[2])) for row in rows}


async def muted_by_list(
    client: BaseDBAsyncClient, viewer: str, dids: Collection[str]
) -> dict[str, str]:
    """``did → list uri``: the first moderation list ``viewer`` mutes that holds ``did``."""
    rows = await fetch_in(
        client,
        "SELECT i.subject_did, m.list_uri FROM appview_list_mute m"
        " JOIN appview_list l ON l.uri = m.list_uri"
        " JOIN appview_list_item i ON i.list_uri = m.list_uri"
        " WHERE m.did = ? AND l.purpose = ? AND i.subject_did IN ({holes})"
        " ORDER BY m.created_at, m.list_uri",
        dids,
        [viewer, MODLIST],
    )
    found: dict[str, str] = {}
    for subject, list_uri in rows:
        found.setdefault(subject, list_uri)
    return found


async def muted_lists(client: BaseDBAsyncClient, viewer: str, lists: Collection[str]) -> set[str]:
    """Which of ``lists`` ``viewer`` mutes."""
    return await marked(client, "appview_list_mute", "list_uri", viewer, lists)


async def activity_subscriptions(
    client: BaseDBAsyncClient, viewer: str, dids: Collection[str]
) -> dict[str, tuple[bool, bool]]:
    """``did → (post, reply)`` of ``viewer``'s activity subscriptions to ``dids``."""
    rows = await fetch_in(
        client,
        "SELECT subject_did, post, reply FROM appview_activity_subscription"
        " WHERE did = ? AND subject_did IN ({holes})",
        dids,
        [viewer],
    )
    return {row[0]: (bool(row[1]), bool(row[2])) for row in rows}


async def known_followers(
    client: BaseDBAsyncClient, viewer: str, dids: Collection[str]
) -> dict[str, list[str]]:
    """``did → followers of did whom viewer follows``, in the order viewer followed them."""
    rows = await fetch_in(
        client,
        "SELECT f.subject_did, f.did FROM appview_follow v"
        " JOIN appview_follow f ON f.did = v.subject_did"
        " WHERE v.did = ? AND f.subject_did IN ({holes})"
        " ORDER BY v.created_at, v.uri",
        dids,
        [viewer],
    )
    found: dict[str, list[str]] = {}
    for subject, follower in rows:
        found.setdefault(subject, []).append(follower)
    return found


LIST_COLUMNS: Final = (
    "uri",
    "did",
    "cid",
    "purpose",
    "name",
    "description",
    "avatar_cid",
    "indexed_at",
)


async def lists(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, dict[str, Any]]:
    """List rows of ``uris`` with their item count (``items``)."""
    rows = await fetch_in(
        client,
        f"SELECT {', '.join('l.' + c for c in LIST_COLUMNS)}, COALESCE(c.items, 0)"
        " FROM appview_list l LEFT JOIN appview_list_counts c ON c.uri = l.uri"
        " WHERE l.uri IN ({holes})",
        uris,
    )
    return {
        row[0]: dict(zip(LIST_COLUMNS, row, strict=False)) | {"items": int(row[-1])} for row in rows
    }


STARTER_PACK_COLUMNS: Final = ("uri", "did", "cid", "list_uri", "indexed_at")


async def starter_packs(
    client: BaseDBAsyncClient, uris: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Starter pack rows of ``uris``."""
    return await rows_by_key(client, "appview_starter_pack", STARTER_PACK_COLUMNS, uris)


async def starter_pack_joins(
    client: BaseDBAsyncClient, uris: Collection[str], since: str
) -> dict[str, tuple[int, int]]:
    """``pack uri → (joined all time, joined since since)``: profiles naming the pack."""
    rows = await fetch_in(
        client,
        "SELECT joined_via_uri, COUNT(*), SUM(CASE WHEN indexed_at >= ? THEN 1 ELSE 0 END)"
        " FROM appview_profile WHERE joined_via_uri IN ({holes}) GROUP BY joined_via_uri",
        uris,
        [since],
    )
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


async def search_handles(
    client: BaseDBAsyncClient, prefix: str, *, limit: int, offset: int
) -> list[str]:
    """DIDs of active actors whose handle starts with ``prefix`` (case-sensitive), by handle."""
    rows = await fetch(
        client,
        "SELECT did FROM appview_actor WHERE status = 'active' AND handle IS NOT NULL"
        " AND substr(handle, 1, ?) = ? ORDER BY handle LIMIT ? OFFSET ?",
        [len(prefix), prefix, limit, offset],
    )
    return [row[0] for row in rows]


@dataclass(frozen=True)
class VerificationRow:
    """A verification record: ``issuer`` verifies ``subject`` as ``handle`` / ``display_name``."""

    uri: str
    issuer: str
    subject: str
    handle: str
    display_name: str
    created_at: str


async def verifications(
    client: BaseDBAsyncClient, subjects: Collection[str], issuers: Collection[str]
) -> dict[str, list[VerificationRow]]:
    """``subject → verifications`` by ``issuers`` of ``subjects``, oldest first."""
    if not issuers:
        return {}
    issuer_list = sorted(issuers)
    rows = await fetch_in(
        client,
        "SELECT uri, did, subject_did, handle, display_name, created_at FROM appview_verification"
        f" WHERE did IN ({placeholders(len(issuer_list))}) AND subject_did IN ({{holes}})"
        f" ORDER BY {SORT_AT}, uri",
        subjects,
        issuer_list,
    )
    found: dict[str, list[VerificationRow]] = {}
    for row in rows:
        found.setdefault(str(row[2]), []).append(VerificationRow(*(str(value) for value in row)))
    return found
