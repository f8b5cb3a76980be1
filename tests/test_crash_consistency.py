"""A server killed (SIGKILL) in the middle of writes leaves each repo whole.

After every kill the repo must be exactly some commit: the root's MST holds exactly the
indexed records, every block it names is stored, the last #commit event names the head,
every write acknowledged before the kill is present, and the official @atproto/repo
library verifies the export.
"""

from __future__ import annotations

from typing import Any

import libipld
from helpers import kill_while_writing, path_of, stored_leaves

from exprsn_pds.datamodel import Cid, decode
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.pds import Pds

POST = "app.bsky.feed.post"
KILL_ROUNDS = 3
WRITERS = 8
KILL_AFTER_S = (0.3, 1.2)


def _post(worker: int, n: int) -> dict[str, Any]:
    return {"$type": POST, "text": f"w{worker} n{n}", "createdAt": "2024-01-01T00:00:00Z"}


async def _check_repo(pds: Pds, did: str, acknowledged: set[str]) -> None:
    head, leaves, reader = await stored_leaves(pds, did)
    records = await reader.get_blocks(set(leaves.values()))
    assert all(decode(block)["$type"] == POST for block in records.values())
    assert {path_of(uri) for uri in acknowledged} <= set(leaves)
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
        await kill_while_writing(
            server, account, POST, _post, acknowledged, writers=WRITERS, kill_after_s=KILL_AFTER_S
        )
        pds = Pds(server.settings)
        await pds.start()
        try:
            await _check_repo(pds, account.did, acknowledged)
        finally:
            await pds.stop()
    assert acknowledged, "no write was acknowledged before the kills"
