"""The repository tables' hot queries, as raw SQL (see :mod:`exprsn_pds.storage.sql`).

Every function takes the tortoise client to run on: the write transaction's inside a
commit, :attr:`Database.client <exprsn_pds.storage.database.Database.client>` elsewhere.
The tables are the ones :mod:`exprsn_pds.repo.models` declares; the models stay the
schema's source (and serve the cold paths), but a repo row is always read here, as a
:class:`RepoRow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.repo.models import Repo
from exprsn_pds.storage.sql import (
    Row,
    chunks,
    execute,
    fetch,
    is_postgres,
    placeholders,
    values_rows,
)


@dataclass(frozen=True)
class RepoRow:
    """A ``repo`` row: the repo's current commit, its (sealed) signing key and standing.

    The one type the write path and the readers pass a repo around as; the ORM model
    :class:`~exprsn_pds.repo.models.Repo` only declares the table.
    """

    did: str
    head: str
    """CID of the current commit."""
    rev: str
    data: str
    """CID of the MST root."""
    signing_key: bytes
    """AES-256-GCM envelope of the private signing key."""
    signing_key_curve: str
    signing_public_key: str
    """Multikey of the public signing key."""
    status: str


@dataclass(frozen=True)
class IndexedRecord:
    """A record index row: the record's CID and whether it is taken down."""

    rkey: str
    cid: str
    taken_down: bool


@dataclass(frozen=True)
class IndexWrite:
    """One change to the record index: ``cid`` ``None`` deletes the row."""

    collection: str
    rkey: str
    cid: str | None


REPO_COLUMNS: Final = (
    "did, head, rev, data, signing_key, signing_key_curve, signing_public_key, status"
)


def _repo_row(row: Row) -> RepoRow:
    did, head, rev, data, signing_key, curve, public_key, status = row
    return RepoRow(did, head, rev, data, bytes(signing_key), curve, public_key, status)


async def repo_row(
    client: BaseDBAsyncClient, did: str, *, for_update: bool = False
) -> RepoRow | None:
    """The repo row of ``did``, or ``None``.

    ``for_update`` locks it until the transaction ends: PostgreSQL takes a row lock
    (``FOR UPDATE``), so processes sharing the database commit to one repo one at a
    time; SQLite serialises write transactions itself.
    """
    lock = " FOR UPDATE" if for_update and is_postgres(client) else ""
    rows = await fetch(client, f"SELECT {REPO_COLUMNS} FROM repo WHERE did = ?" + lock, [did])
    return _repo_row(rows[0]) if rows else None


async def repo_rows(
    client: BaseDBAsyncClient, *, after: str | None = None, limit: int | None = None
) -> list[RepoRow]:
    """Repo rows by DID: those above ``after``, at most ``limit`` of them (else all).

    ``after`` (a client's cursor) gets the checks of the ``did`` column first, as an ORM
    comparison would (:mod:`exprsn_pds.storage.columns`): a value the column cannot
    hold is a ``ValidationError`` (400), never a comparison with the database.
    """
    text = f"SELECT {REPO_COLUMNS} FROM repo"
    values: list[object] = []
    if after is not None:
        Repo._meta.fields_map["did"].validate(after)
        text += " WHERE did > ?"
        values.append(after)
    text += " ORDER BY did"
    if limit is not None:
        text += " LIMIT ?"
        values.append(limit)
    return [_repo_row(row) for row in await fetch(client, text, values)]


async def insert_repo(client: BaseDBAsyncClient, row: RepoRow) -> None:
    """Add the repo row ``row``."""
    await execute(
        client,
        f"INSERT INTO repo ({REPO_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row.did,
            row.head,
            row.rev,
            row.data,
            row.signing_key,
            row.signing_key_curve,
            row.signing_public_key,
            row.status,
            dt.datetime.now(dt.UTC),
        ],
    )


async def advance_repo(client: BaseDBAsyncClient, base: RepoRow, after: RepoRow) -> bool:
    """Point the repo at the commit of ``after`` if it is still at ``base``; whether it was.

    The update locks the row until the transaction ends (PostgreSQL re-checks the
    condition once a concurrent writer commits). The signing key is part of the
    condition: a commit signed with a replaced key must not land.
    """
    changed = await execute(
        client,
        "UPDATE repo SET head = ?, rev = ?, data = ?"
        " WHERE did = ? AND head = ? AND signing_key = ?",
        [after.head, after.rev, after.data, base.did, base.head, base.signing_key],
    )
    return changed == 1


async def set_repo_commit(client: BaseDBAsyncClient, row: RepoRow) -> None:
    """Point the repo of ``row`` at its commit (``head``, ``rev``, ``data``) unconditionally."""
    await execute(
        client,
        "UPDATE repo SET head = ?, rev = ?, data = ? WHERE did = ?",
        [row.head, row.rev, row.data, row.did],
    )


async def set_repo_status(client: BaseDBAsyncClient, did: str, status: str) -> None:
    """Record the repo's hosting status (its account's standing)."""
    await execute(client, "UPDATE repo SET status = ? WHERE did = ?", [status, did])


async def set_signing_key(client: BaseDBAsyncClient, did: str, sealed: bytes) -> None:
    """Replace the repo's sealed signing key (same key, new envelope)."""
    await execute(client, "UPDATE repo SET signing_key = ? WHERE did = ?", [sealed, did])


async def fetch_blocks(
    client: BaseDBAsyncClient, did: str, cids: Collection[str]
) -> list[tuple[str, bytes]]:
    """The stored ``(cid, content)`` of those of ``cids`` the repo has."""
    found: list[tuple[str, bytes]] = []
    for batch in chunks(list(cids)):
        rows = await fetch(
            client,
            f"SELECT cid, content FROM repo_block WHERE did = ? AND cid IN"
            f" ({placeholders(len(batch))})",
            [did, *batch],
        )
        found.extend((cid, bytes(content)) for cid, content in rows)
    return found


async def insert_blocks(
    client: BaseDBAsyncClient, did: str, rev: str, blocks: Sequence[tuple[str, bytes]]
) -> None:
    """Store blocks added by commit ``rev``; a block the repo already has keeps its row."""
    for batch in chunks(blocks, width=4):
        values: list[object] = []
        for cid, content in batch:
            values += [did, cid, rev, content]
        await execute(
            client,
            f"INSERT INTO repo_block (did, cid, rev, content) VALUES {values_rows(4, len(batch))}"
            " ON CONFLICT (did, cid) DO NOTHING",
            values,
        )


async def delete_blocks(client: BaseDBAsyncClient, did: str, cids: Collection[str]) -> None:
    """Delete the repo's blocks ``cids``."""
    for batch in chunks(list(cids)):
        await execute(
            client,
            f"DELETE FROM repo_block WHERE did = ? AND cid IN ({placeholders(len(batch))})",
            [did, *batch],
        )


async def cids_in_use(client: BaseDBAsyncClient, did: str, cids: Collection[str]) -> set[str]:
    """Those of ``cids`` some record of the repo still points at."""
    used: set[str] = set()
    for batch in chunks(list(cids)):
        rows = await fetch(
            client,
            f"SELECT DISTINCT cid FROM record WHERE did = ? AND cid IN"
            f" ({placeholders(len(batch))})",
            [did, *batch],
        )
        used.update(cid for (cid,) in rows)
    return used


async def update_index(
    client: BaseDBAsyncClient, did: str, rev: str, writes: Sequence[IndexWrite]
) -> None:
    """Apply a commit's record index changes: upsert written records, drop deleted ones."""
    now = dt.datetime.now(dt.UTC)
    upserts = [write for write in writes if write.cid is not None]
    for batch in chunks(upserts, width=6):
        values: list[object] = []
        for write in batch:
            values += [did, write.collection, write.rkey, write.cid, rev, now]
        await execute(
            client,
            "INSERT INTO record (did, collection, rkey, cid, rev, indexed_at)"
            f" VALUES {values_rows(6, len(batch))}"
            " ON CONFLICT (did, collection, rkey) DO UPDATE SET"
            " cid = excluded.cid, rev = excluded.rev, indexed_at = excluded.indexed_at",
            values,
        )
    for write in writes:
        if write.cid is None:
            await execute(
                client,
                "DELETE FROM record WHERE did = ? AND collection = ? AND rkey = ?",
                [did, write.collection, write.rkey],
            )


async def record_in_repo(
    client: BaseDBAsyncClient, did: str, collection: str, rkey: str
) -> tuple[str | None, IndexedRecord | None]:
    """Repo ``did``'s status (``None``: no such repo) and its index row for ``collection/rkey``."""
    rows = await fetch(
        client,
        "SELECT repo.status, record.cid, record.takedown_ref FROM repo LEFT JOIN record"
        " ON record.did = repo.did AND record.collection = ? AND record.rkey = ?"
        " WHERE repo.did = ?",
        [collection, rkey, did],
    )
    if not rows:
        return None, None
    status, cid, takedown_ref = rows[0]
    if cid is None:
        return str(status), None
    return str(status), IndexedRecord(rkey=rkey, cid=cid, taken_down=takedown_ref is not None)


async def list_index(
    client: BaseDBAsyncClient,
    did: str,
    collection: str,
    *,
    limit: int,
    cursor: str | None,
    reverse: bool,
) -> list[IndexedRecord]:
    """A page of a collection's records that are not taken down, by rkey.

    Descending (newest first) below ``cursor``, or ascending above it if ``reverse``.
    """
    text = "SELECT rkey, cid FROM record WHERE did = ? AND collection = ? AND takedown_ref IS NULL"
    values: list[object] = [did, collection]
    if cursor is not None:
        text += " AND rkey > ?" if reverse else " AND rkey < ?"
        values.append(cursor)
    text += " ORDER BY rkey" + ("" if reverse else " DESC") + " LIMIT ?"
    values.append(limit)
    rows = await fetch(client, text, values)
    return [IndexedRecord(rkey=rkey, cid=cid, taken_down=False) for rkey, cid in rows]


async def block_page(
    client: BaseDBAsyncClient, did: str, *, after_id: int, since: str | None, limit: int
) -> list[tuple[int, str, bytes]]:
    """Up to ``limit`` of the repo's blocks by row id above ``after_id``.

    With ``since``, only blocks added by commits after that rev.
    """
    text = "SELECT id, cid, content FROM repo_block WHERE did = ? AND id > ?"
    values: list[object] = [did, after_id]
    if since is not None:
        text += " AND rev > ?"
        values.append(since)
    text += " ORDER BY id LIMIT ?"
    values.append(limit)
    rows = await fetch(client, text, values)
    return [(row_id, cid, bytes(content)) for row_id, cid, content in rows]
