"""com.atproto.sync exports, checked by the official @atproto/repo library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libipld
from helpers import tid, verify_with_atproto_repo

from exprsn_pds.datamodel import Cid, read_car

POST = "app.bsky.feed.post"
NOW = "2024-05-01T12:00:00.000Z"


async def write_posts(client: Any, account: Any, count: int, first: int = 0) -> list[str]:
    rkeys = []
    for i in range(first, first + count):
        rkey = tid(i)
        response = await client.post(
            "/xrpc/com.atproto.repo.putRecord",
            json={
                "repo": account.did,
                "collection": POST,
                "rkey": rkey,
                "record": {"$type": POST, "text": f"post {i}", "createdAt": NOW},
            },
            headers=account.headers,
        )
        assert response.status_code == 200, await response.get_json()
        rkeys.append(rkey)
    return rkeys


async def fetch_car(client: Any, path: str, tmp_path: Path, name: str) -> Path:
    response = await client.get(path)
    assert response.status_code == 200, await response.get_data()
    assert response.headers["Content-Type"] == "application/vnd.ipld.car"
    target = tmp_path / name
    target.write_bytes(await response.get_data())
    return target


async def test_a_full_export_verifies_with_atproto_repo(
    client: Any, alice: Any, tmp_path: Path
) -> None:
    rkeys = await write_posts(client, alice, 30)
    car = await fetch_car(
        client, f"/xrpc/com.atproto.sync.getRepo?did={alice.did}", tmp_path, "repo.car"
    )
    verified = verify_with_atproto_repo("repo", car=str(car), did=alice.did, key=alice.did_key)
    assert sorted(r["rkey"] for r in verified["records"]) == rkeys
    latest = await (
        await client.get(f"/xrpc/com.atproto.sync.getLatestCommit?did={alice.did}")
    ).get_json()
    assert verified["rev"] == latest["rev"]


async def test_a_since_diff_verifies_on_top_of_the_earlier_export(
    client: Any, alice: Any, tmp_path: Path
) -> None:
    await write_posts(client, alice, 10)
    base = await fetch_car(
        client, f"/xrpc/com.atproto.sync.getRepo?did={alice.did}", tmp_path, "base.car"
    )
    since = (
        await (
            await client.get(f"/xrpc/com.atproto.sync.getLatestCommit?did={alice.did}")
        ).get_json()
    )["rev"]
    await write_posts(client, alice, 5, first=10)
    diff = await fetch_car(
        client,
        f"/xrpc/com.atproto.sync.getRepo?did={alice.did}&since={since}",
        tmp_path,
        "diff.car",
    )
    verified = verify_with_atproto_repo(
        "diff", base=str(base), diff=str(diff), did=alice.did, key=alice.did_key
    )
    assert sorted(w["rkey"] for w in verified["writes"]) == [tid(i) for i in range(10, 15)]


async def test_record_proofs_verify_with_atproto_repo(
    client: Any, alice: Any, tmp_path: Path
) -> None:
    rkeys = await write_posts(client, alice, 20)
    car = await fetch_car(
        client,
        f"/xrpc/com.atproto.sync.getRecord?did={alice.did}&collection={POST}&rkey={rkeys[7]}",
        tmp_path,
        "proof.car",
    )
    verified = verify_with_atproto_repo("records", car=str(car), did=alice.did, key=alice.did_key)
    assert verified["records"] == [
        {
            "collection": POST,
            "rkey": rkeys[7],
            "record": {"$type": POST, "text": "post 7", "createdAt": NOW},
        }
    ]


async def test_get_blocks_returns_the_requested_blocks(client: Any, alice: Any) -> None:
    latest = await (
        await client.get(f"/xrpc/com.atproto.sync.getLatestCommit?did={alice.did}")
    ).get_json()
    response = await client.get(
        f"/xrpc/com.atproto.sync.getBlocks?did={alice.did}&cids={latest['cid']}"
    )
    _, blocks = read_car(await response.get_data())
    commit = libipld.decode_dag_cbor(blocks[Cid.parse(latest["cid"])])
    assert commit["did"] == alice.did and commit["version"] == 3


async def test_an_unknown_block_is_block_not_found(client: Any, alice: Any) -> None:
    absent = str(Cid.for_dag_cbor(b"\xa1aa\x01"))
    response = await client.get(f"/xrpc/com.atproto.sync.getBlocks?did={alice.did}&cids={absent}")
    assert (await response.get_json())["error"] == "BlockNotFound"


async def test_an_unknown_repo_is_repo_not_found(client: Any) -> None:
    response = await client.get("/xrpc/com.atproto.sync.getRepo?did=did:plc:nobodyhere")
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "RepoNotFound"


async def test_repo_status_and_listing(client: Any, alice: Any, account_factory: Any) -> None:
    bob = await account_factory(client, "bob.test")
    status = await (
        await client.get(f"/xrpc/com.atproto.sync.getRepoStatus?did={alice.did}")
    ).get_json()
    assert status["active"] is True and status["did"] == alice.did
    first = await (await client.get("/xrpc/com.atproto.sync.listRepos?limit=1")).get_json()
    second = await (
        await client.get(f"/xrpc/com.atproto.sync.listRepos?limit=1&cursor={first['cursor']}")
    ).get_json()
    listed = {first["repos"][0]["did"], second["repos"][0]["did"]}
    assert listed == {alice.did, bob.did}
