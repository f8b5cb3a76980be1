"""A server killed (SIGKILL) in the middle of writes leaves each repo whole.

After every kill the repo must be exactly some commit: the root's MST holds exactly the
indexed records, every block it names is stored, the last #commit event names the head,
every write acknowledged before the kill is present, and the official @atproto/repo
library verifies the export.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import libipld

from exprsn_pds.datamodel import Cid, decode
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.pds import Pds
from exprsn_pds.repo.blocks import RepoBlockReader
from exprsn_pds.repo.commit import parse_commit
from exprsn_pds.repo.models import Record, Repo
from exprsn_pds.repo.mst import Mst

POST = "app.bsky.feed.post"
KILL_ROUNDS = 3
WRITERS = 8
KILL_AFTER_S = (0.3, 1.2)
REQUEST_TIMEOUT_S = 10.0


async def _write_until_killed(url: str, account: Any, acknowledged: set[str], worker: int) -> None:
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as http:
        for n in range(10_000):
            record = {"$type": POST, "text": f"w{worker} n{n}", "createdAt": "2024-01-01T00:00:00Z"}
            try:
                response = await http.post(
                    f"{url}/xrpc/com.atproto.repo.createRecord",
                    json={"repo": account.did, "collection": POST, "record": record},
                    headers=account.headers,
                )
            except httpx.TransportError:
                return
            if response.status_code != 200:
                return
            acknowledged.add(response.json()["uri"].rsplit("/", 1)[1])


async def _check_repo(pds: Pds, did: str, acknowledged: set[str]) -> None:
    repo = await Repo.get(did=did)
    reader = RepoBlockReader(did, pds.repo_cache)
    head = Cid.parse(repo.head)
    commit = parse_commit((await reader.get_blocks([head]))[head])
    assert str(commit.data) == repo.data and commit.rev == repo.rev
    mst = await Mst.load(reader, commit.data)
    leaves = {key: value async for key, value in mst.walk()}
    indexed = {
        f"{row.collection}/{row.rkey}": Cid.parse(row.cid) for row in await Record.filter(did=did)
    }
    assert leaves == indexed
    records = await reader.get_blocks(set(leaves.values()))
    assert all(decode(block)["$type"] == POST for block in records.values())
    assert {f"{POST}/{rkey}" for rkey in acknowledged} <= set(leaves)
    last = await RepoEvent.filter(did=did, type="commit").order_by("-seq").first()
    assert last is not None
    _, body = libipld.decode_dag_cbor_multi(last.frame)
    assert Cid.from_bytes(body["commit"]) == head


async def test_killed_mid_write_leaves_old_or_new_commit(live_server: Any) -> None:
    acknowledged: set[str] = set()
    server = await live_server(handles=["alice.test"])
    account = server.accounts["alice.test"]
    for round_number in range(KILL_ROUNDS):
        if round_number:
            server = await live_server()
        writers = [
            asyncio.create_task(_write_until_killed(server.url, account, acknowledged, w))
            for w in range(WRITERS)
        ]
        await asyncio.sleep(random.uniform(*KILL_AFTER_S))
        server.kill()
        await asyncio.gather(*writers)
        pds = Pds(server.settings)
        await pds.start()
        try:
            await _check_repo(pds, account.did, acknowledged)
        finally:
            await pds.stop()
    assert acknowledged, "no write was acknowledged before the kills"
