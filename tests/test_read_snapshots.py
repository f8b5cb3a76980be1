"""Read snapshots (``Database.read_snapshot``): one committed state, and writers never wait.

A commit made while a snapshot is open lands (the writer does not wait for the reader),
is invisible inside the snapshot, and the blocks it drops stay readable there. A record
proof and a block set read in a snapshot agree with its commit. SQLite (file) and
PostgreSQL; an in-memory SQLite database has no second connection, and its snapshots hold
the shared one instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from exprsn_pds.app import get_pds
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.datamodel import Cid, read_car
from exprsn_pds.repo.blocks import BlockCache
from exprsn_pds.repo.commit import parse_commit
from exprsn_pds.repo.mst import MemoryBlockReader, MissingBlock, Mst, NodeCache
from exprsn_pds.repo.reader import RepoReader
from exprsn_pds.repo.store import RepoRow, fetch_blocks, repo_row
from exprsn_pds.repo.writes import Action, RecordWrite
from exprsn_pds.storage.database import Database
from exprsn_pds.storage.sql import current_client, execute, fetch

POST = "app.bsky.feed.post"
DID = "did:plc:" + "s" * 24


def post(n: int) -> dict[str, Any]:
    return {"$type": POST, "text": f"post {n}", "createdAt": "2024-01-01T00:00:00Z"}


@pytest.fixture
async def pds(client_factory: Any) -> Any:
    pds = get_pds((await client_factory()).app)
    await pds.repo_writer.create_repo(DID, PrivateKey.generate("k256"))
    writes = [RecordWrite(Action.CREATE, POST, f"3k{n:03d}", post(n)) for n in range(50)]
    await pds.repo_writer.apply_writes(DID, writes)
    return pds


async def test_a_commit_lands_while_a_snapshot_is_open_and_stays_invisible_in_it(pds: Any) -> None:
    async with pds.database.read_snapshot() as snapshot:
        before = await repo_row(snapshot, DID)
        assert before is not None
        await pds.repo_writer.apply_writes(
            DID, [RecordWrite(Action.UPDATE, POST, "3k007", post(1007))]
        )
        after = await repo_row(current_client(), DID)
        assert after is not None and after.head != before.head
        assert await repo_row(snapshot, DID) == before
        assert await fetch_blocks(current_client(), DID, [before.head]) == []
        assert [cid for cid, _ in await fetch_blocks(snapshot, DID, [before.head])] == [before.head]


def reader_with_a_commit_between(pds: Any, pinned: list[RepoRow]) -> RepoReader:
    """A reader (with empty caches: every block comes from its snapshot) whose every
    snapshot sees a commit land, dropping the head, MST nodes and a record it replaced,
    after its first read and before the reader's own queries."""

    @asynccontextmanager
    async def snapshot() -> AsyncIterator[Any]:
        async with pds.database.read_snapshot() as client:
            state = await repo_row(client, DID)  # the snapshot begins at its first read
            assert state is not None
            pinned.append(state)
            n = len(pinned)
            await pds.repo_writer.apply_writes(
                DID,
                [
                    RecordWrite(Action.UPDATE, POST, "3k007", post(1000 + n)),
                    RecordWrite(Action.DELETE, POST, f"3k{10 + n:03d}"),
                ],
            )
            yield client

    return RepoReader(BlockCache(), NodeCache(), pds.database, snapshot)


async def test_proofs_blocks_and_exports_are_of_the_commit_their_snapshot_began_at(
    pds: Any,
) -> None:
    pinned: list[RepoRow] = []
    reader = reader_with_a_commit_between(pds, pinned)

    roots, blocks = read_car(await reader.record_proof(DID, POST, "3k007"))
    assert roots == [Cid.parse(pinned[-1].head)]
    mst = await Mst.load(MemoryBlockReader(blocks), parse_commit(blocks[roots[0]]).data)
    value = await mst.get(f"{POST}/3k007")
    assert value is not None and value in blocks

    dropped = Cid.parse(pinned[-1].head)
    current = await repo_row(current_client(), DID)
    assert current is not None
    head = Cid.parse(current.head)
    assert list(await reader.blocks(DID, [head])) == [head]
    assert Cid.parse(pinned[-1].head) == head
    with pytest.raises(MissingBlock):
        await reader.blocks(DID, [dropped])

    roots, blocks = read_car(b"".join([chunk async for chunk in reader.export(DID)]))
    assert roots == [Cid.parse(pinned[-1].head)]
    tree = await Mst.load(MemoryBlockReader(blocks), parse_commit(blocks[roots[0]]).data)
    leaves = {key: cid async for key, cid in tree.walk()}
    assert len(leaves) == 50 - (len(pinned) - 1) and set(leaves.values()) <= set(blocks)


async def test_record_proofs_and_block_sets_belong_to_the_current_commit(pds: Any) -> None:
    state = await repo_row(current_client(), DID)
    assert state is not None
    roots, blocks = read_car(await pds.repo_reader.record_proof(DID, POST, "3k007"))
    assert roots == [Cid.parse(state.head)]
    fetched = await pds.repo_reader.blocks(DID, [Cid.parse(state.head)])
    assert fetched == {roots[0]: blocks[roots[0]]}


async def test_an_in_memory_database_snapshot_holds_the_shared_connection(tmp_path: Path) -> None:
    database = Database("sqlite://:memory:", [], tmp_path)
    await database.connect()
    try:
        await execute(current_client(), "CREATE TABLE item (n INTEGER)")
        await execute(current_client(), "INSERT INTO item (n) VALUES (1)")
        async with database.read_snapshot() as snapshot:
            writer = asyncio.create_task(
                execute(current_client(), "INSERT INTO item (n) VALUES (2)")
            )
            for _ in range(10):
                await asyncio.sleep(0)
            assert not writer.done()
            assert [tuple(row) for row in await fetch(snapshot, "SELECT n FROM item")] == [(1,)]
        await writer
        assert [tuple(row) for row in await fetch(current_client(), "SELECT n FROM item")] == [
            (1,),
            (2,),
        ]
    finally:
        await database.close()
