"""The Python atproto SDK's firehose client reads our stream and checks commit signatures."""

from __future__ import annotations

from typing import Any

import httpx
from atproto import CAR, models
from atproto_crypto.verify import verify_signature
from helpers import sdk_firehose_events

from exprsn_pds.datamodel import encode, read_car
from exprsn_pds.repo.commit import parse_commit

POST = "app.bsky.feed.post"
WRITES = 5


async def test_sdk_firehose_reads_and_verifies_our_commits(live_server: Any) -> None:
    server = await live_server(handles=["alice.test"])
    alice = server.accounts["alice.test"]
    async with httpx.AsyncClient() as http:
        for n in range(WRITES):
            response = await http.post(
                f"{server.url}/xrpc/com.atproto.repo.createRecord",
                json={
                    "repo": alice.did,
                    "collection": POST,
                    "record": {
                        "$type": POST,
                        "text": f"post {n}",
                        "createdAt": "2024-01-01T00:00:00Z",
                    },
                },
                headers=alice.headers,
            )
            assert response.status_code == 200

    commits = await sdk_firehose_events(
        server.url,
        models.ComAtprotoSyncSubscribeRepos.Commit,
        lambda commits: len([c for c in commits if c.ops]) == WRITES,
    )

    assert [c.seq for c in commits] == sorted(c.seq for c in commits)
    for commit in commits:
        car = CAR.from_bytes(commit.blocks)
        assert str(car.root) == str(commit.commit)
        roots, blocks = read_car(commit.blocks)
        signed = parse_commit(blocks[roots[0]])
        assert verify_signature(alice.did_key, encode(signed.unsigned()), signed.sig)
        if commit.ops:
            op = commit.ops[0]
            assert op.action == "create" and op.path.startswith(f"{POST}/")
            assert car.blocks[op.cid]["text"].startswith("post ")
