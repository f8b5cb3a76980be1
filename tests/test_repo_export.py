"""A repo export (getRepo) carries every stored block under the CID it is stored as.

Repo blocks are DAG-CBOR, and the export takes their CIDs from their hashes; any
other kind of stored block (an imported repo may hold one) keeps its stored CID. The
export is gathered into pieces, not one per block. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from exprsn_pds.app import get_pds
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.datamodel import Cid, encode, read_car
from exprsn_pds.repo.commit import parse_commit
from exprsn_pds.repo.mst import MemoryBlockReader, Mst
from exprsn_pds.repo.reader import EXPORT_CHUNK_BYTES
from exprsn_pds.repo.store import block_page, insert_blocks, repo_row
from exprsn_pds.repo.writes import Action, RecordWrite
from exprsn_pds.storage.sql import current_client

POST = "app.bsky.feed.post"
DID = "did:plc:" + "e" * 24


@pytest.fixture
async def pds(client_factory: Any) -> Any:
    pds = get_pds((await client_factory()).app)
    await pds.repo_writer.create_repo(DID, PrivateKey.generate("k256"))
    return pds


def post(n: int) -> dict[str, Any]:
    return {"$type": POST, "text": f"post {n} " + "x" * 300, "createdAt": "2024-01-01T00:00:00Z"}


async def export(pds: Any) -> list[bytes]:
    return [chunk async for chunk in pds.repo_reader.export(DID)]


async def test_every_block_keeps_its_cid_whatever_its_codec(pds: Any) -> None:
    for n in range(3):
        await pds.repo_writer.apply_writes(
            DID, [RecordWrite(Action.CREATE, POST, f"3k{n}", post(n))]
        )
    raw = b"not dag-cbor at all"
    dag = encode({"a": 1})
    stored = {Cid.for_raw(raw): raw, Cid.for_dag_cbor(dag): dag}
    await insert_blocks(
        current_client(), DID, "3zzzzzzzzzzzz", [(str(c), b) for c, b in stored.items()]
    )
    roots, blocks = read_car(b"".join(await export(pds)))  # checks each block against its CID
    state = await repo_row(current_client(), DID)
    assert state is not None and roots == [Cid.parse(state.head)]
    assert stored.items() <= blocks.items()
    rows = await block_page(current_client(), DID, after_id=0, since=None, limit=1000)
    assert {Cid.parse(cid): content for _, cid, content in rows} == blocks


async def test_a_large_commit_is_stored_whole_and_exported_in_pieces(pds: Any) -> None:
    for batch in range(2):
        writes = [
            RecordWrite(Action.CREATE, POST, f"3k{batch}{n:03d}", post(batch * 200 + n))
            for n in range(200)
        ]
        await pds.repo_writer.apply_writes(DID, writes)
    chunks = await export(pds)
    roots, blocks = read_car(b"".join(chunks))
    commit = parse_commit(blocks[roots[0]])
    leaves = {
        key: value
        async for key, value in (await Mst.load(MemoryBlockReader(blocks), commit.data)).walk()
    }
    assert len(leaves) == 400 and all(value in blocks for value in leaves.values())
    assert 1 < len(chunks) < len(blocks) // 100
    assert all(len(chunk) >= EXPORT_CHUNK_BYTES for chunk in chunks[:-1])
