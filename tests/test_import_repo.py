"""``com.atproto.repo.importRepo``: a repo exported elsewhere replaces the caller's repo.

Every test runs on SQLite with the in-process cache and on PostgreSQL with Redis. The
good path exports an account's repo, replaces the account by a fresh one holding the
same DID and signing key (as the new server of a migration would), and imports; the
bad CARs are built here with the project's MST and commit code and must leave the repo
exactly as it was.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import libipld
import pytest
from atproto import CAR, models
from atproto_crypto.verify import verify_signature
from helpers import sdk_firehose_events, tid

from exprsn_pds.accounts.models import Account
from exprsn_pds.app import get_pds
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.datamodel import Cid, decode, encode, read_car, write_car
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.repo.commit import parse_commit, sign_commit
from exprsn_pds.repo.models import Blob, Record, RecordBlob, Repo, RepoBlock
from exprsn_pds.repo.mst import MemoryBlockReader, Mst, MstOp, common_prefix_length, key_height

IMPORT = "/xrpc/com.atproto.repo.importRepo"
CAR_TYPE = "application/vnd.ipld.car"
POST = "app.bsky.feed.post"
PROFILE = "app.bsky.actor.profile"
NOW = "2024-05-01T12:00:00.000Z"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
RECEIVE_TIMEOUT_S = 30.0
INTEROP = Path(__file__).resolve().parent / "interop"


def post(n: int) -> dict[str, Any]:
    return {"$type": POST, "text": f"post {n}", "createdAt": NOW}


# --- Building repository CARs -------------------------------------------------------------


async def build_tree(records: dict[str, dict[str, Any]]) -> tuple[Cid, dict[Cid, bytes]]:
    """The MST root of ``records`` (path -> data-model record) and every block."""
    blocks = MemoryBlockReader()
    ops = []
    for path, record in records.items():
        block = encode(record)
        cid = Cid.for_dag_cbor(block)
        blocks[cid] = block
        ops.append(MstOp(action="create", key=path, value=cid))
    change = await Mst.empty(blocks).apply(ops)
    blocks.update(change.new_blocks)
    return change.root, dict(blocks)


def commit_car(
    root: Cid, blocks: dict[Cid, bytes], *, did: str, key: PrivateKey, rev: str | None = None
) -> bytes:
    """A CAR of ``blocks`` under a commit of tree ``root`` signed by ``key``."""
    commit = sign_commit(did=did, data=root, rev=rev or tid(10_000), key=key).block()
    commit_cid = Cid.for_dag_cbor(commit)
    return write_car([commit_cid], [(commit_cid, commit), *blocks.items()])


async def repo_car(records: dict[str, dict[str, Any]], *, did: str, key: PrivateKey) -> bytes:
    root, blocks = await build_tree(records)
    return commit_car(root, blocks, did=did, key=key)


def node(entries: list[tuple[str, Cid, Cid | None]], left: Cid | None = None) -> bytes:
    """A hand-made MST node block, whatever order its keys are in."""
    encoded = []
    previous = b""
    for key, value, right in entries:
        data = key.encode()
        shared = common_prefix_length(previous, data)
        encoded.append({"k": data[shared:], "p": shared, "t": right, "v": value})
        previous = data
    return encode({"e": encoded, "l": left})


def keys_of_height(height: int, count: int) -> list[str]:
    """``count`` sorted post paths whose MST height is ``height``."""
    found = []
    n = 0
    while len(found) < count:
        path = f"{POST}/{tid(n)}"
        if key_height(path) == height:
            found.append(path)
        n += 1
    return found


# --- Fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
async def target(client_factory: Any) -> Any:
    """The server under test (the backend pair of the run)."""
    return await client_factory()


@pytest.fixture
async def alice(target: Any, account_factory: Any) -> Any:
    return await account_factory(target, "alice.test")


async def import_car(client: Any, account: Any, car: bytes) -> Any:
    return await client.post(
        IMPORT, data=car, headers={**account.headers, "Content-Type": CAR_TYPE}
    )


async def get_json(client: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    response = await client.get(path, headers=headers or {})
    assert response.status_code == 200, await response.get_data()
    return await response.get_json()


async def records_of(client: Any, did: str, collection: str) -> list[dict[str, Any]]:
    answer = await get_json(
        client,
        f"/xrpc/com.atproto.repo.listRecords?repo={did}&collection={collection}&limit=100",
    )
    records: list[dict[str, Any]] = answer["records"]
    return records


async def snapshot(client: Any, did: str) -> tuple[Any, ...]:
    """What a refused import must not change: head, records, blocks, events."""
    head = await get_json(client, f"/xrpc/com.atproto.sync.getLatestCommit?did={did}")
    return (
        head,
        await records_of(client, did, POST),
        await RepoBlock.filter(did=did).count(),
        await Record.filter(did=did).count(),
        await RepoEvent.all().count(),
    )


async def write_post(client: Any, account: Any, n: int, **extra: Any) -> None:
    response = await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={
            "repo": account.did,
            "collection": POST,
            "rkey": tid(n),
            "record": {**post(n), **extra},
        },
        headers=account.headers,
    )
    assert response.status_code == 200, await response.get_json()


async def upload_png(client: Any, account: Any) -> dict[str, Any]:
    response = await client.post(
        "/xrpc/com.atproto.repo.uploadBlob",
        data=PNG,
        headers={**account.headers, "Content-Type": "image/png"},
    )
    assert response.status_code == 200, await response.get_json()
    blob: dict[str, Any] = (await response.get_json())["blob"]
    return blob


def verify_with_atproto_repo(car: Path, did: str, key: str) -> dict[str, Any]:
    """The official @atproto/repo verifies a full export (tests/interop/verify_repo.mjs)."""
    result = subprocess.run(
        [
            "node",
            str(INTEROP / "verify_repo.mjs"),
            "repo",
            json.dumps({"car": str(car), "did": did, "key": key}),
        ],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["ok"], answer.get("error") or result.stderr
    return answer


# --- A migration: export, a fresh account with the same DID and key, import ---------------


@dataclasses.dataclass
class Exported:
    """Alice's repo as she left the old server: her CAR, records and image blob."""

    account: Any
    car: bytes
    records: dict[str, list[dict[str, Any]]]
    blob_cid: str


async def forget_account(pds: Any, did: str) -> None:
    """Remove every trace of ``did``'s account but its events, as if it was never here."""
    for cid in await Blob.filter(did=did).values_list("cid", flat=True):
        await pds.blobs.store.delete(did, Cid.parse(str(cid)))
    for model in (RecordBlob, Blob, Record, RepoBlock, Repo, Account):
        await model.filter(did=did).delete()


async def export_and_move(client: Any, account_factory: Any) -> tuple[Exported, Any]:
    """Alice writes posts (one with an image) and a profile, exports her repo, and is
    replaced by a fresh account with the same DID and signing key (nothing imported yet)."""
    alice = await account_factory(client, "alice.test")
    for n in range(12):
        await write_post(client, alice, n)
    blob = await upload_png(client, alice)
    image = {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": blob}]}
    await write_post(client, alice, 12, embed=image)
    response = await client.post(
        "/xrpc/com.atproto.repo.putRecord",
        json={
            "repo": alice.did,
            "collection": PROFILE,
            "rkey": "self",
            "record": {"$type": PROFILE, "displayName": "Alice"},
        },
        headers=alice.headers,
    )
    assert response.status_code == 200
    export = await client.get(f"/xrpc/com.atproto.sync.getRepo?did={alice.did}")
    assert export.status_code == 200
    records = {c: await records_of(client, alice.did, c) for c in (POST, PROFILE)}
    exported = Exported(alice, await export.get_data(), records, blob["ref"]["$link"])
    pds = get_pds(client.app)
    await forget_account(pds, alice.did)
    moved = await account_factory(client, "alice.test", did=alice.did, key=alice.key)
    assert await records_of(client, moved.did, POST) == []
    return exported, moved


async def test_an_exported_repo_imports_into_a_fresh_account_of_the_same_did(
    target: Any, account_factory: Any
) -> None:
    exported, moved = await export_and_move(target, account_factory)
    response = await import_car(target, moved, exported.car)
    assert response.status_code == 200, await response.get_json()
    for collection, records in exported.records.items():
        assert await records_of(target, moved.did, collection) == records
    record = await get_json(
        target,
        f"/xrpc/com.atproto.repo.getRecord?repo={moved.did}&collection={POST}&rkey={tid(3)}",
    )
    assert record["value"] == post(3)


async def test_the_reexported_repo_verifies_with_atproto_repo(
    target: Any, account_factory: Any, tmp_path: Path
) -> None:
    exported, moved = await export_and_move(target, account_factory)
    assert (await import_car(target, moved, exported.car)).status_code == 200
    export = await target.get(f"/xrpc/com.atproto.sync.getRepo?did={moved.did}")
    path = tmp_path / "reexport.car"
    path.write_bytes(await export.get_data())
    verified = verify_with_atproto_repo(path, moved.did, moved.did_key)
    assert len(verified["records"]) == 14
    head = await get_json(target, f"/xrpc/com.atproto.sync.getLatestCommit?did={moved.did}")
    assert (verified["rev"], verified["commit"]) == (head["rev"], head["cid"])


async def test_writes_continue_on_the_imported_repo(
    target: Any, account_factory: Any, tmp_path: Path
) -> None:
    exported, moved = await export_and_move(target, account_factory)
    assert (await import_car(target, moved, exported.car)).status_code == 200
    await write_post(target, moved, 100)
    response = await target.post(
        "/xrpc/com.atproto.repo.deleteRecord",
        json={"repo": moved.did, "collection": POST, "rkey": tid(0)},
        headers=moved.headers,
    )
    assert response.status_code == 200
    export = await target.get(f"/xrpc/com.atproto.sync.getRepo?did={moved.did}")
    path = tmp_path / "after-writes.car"
    path.write_bytes(await export.get_data())
    verified = verify_with_atproto_repo(path, moved.did, moved.did_key)
    rkeys = {r["rkey"] for r in verified["records"] if r["collection"] == POST}
    assert tid(100) in rkeys and tid(0) not in rkeys and len(rkeys) == 13


async def test_the_new_commit_is_later_than_both_the_hosted_and_the_imported_one(
    target: Any, account_factory: Any
) -> None:
    exported, moved = await export_and_move(target, account_factory)
    before = await get_json(target, f"/xrpc/com.atproto.sync.getLatestCommit?did={moved.did}")
    assert (await import_car(target, moved, exported.car)).status_code == 200
    after = await get_json(target, f"/xrpc/com.atproto.sync.getLatestCommit?did={moved.did}")
    roots, blocks = read_car(exported.car)
    imported = parse_commit(blocks[roots[0]])
    assert after["rev"] > before["rev"] and after["rev"] > imported.rev
    export = await target.get(f"/xrpc/com.atproto.sync.getRepo?did={moved.did}")
    roots, blocks = read_car(await export.get_data())
    stored = parse_commit(blocks[roots[0]])
    assert (stored.rev, stored.data) == (after["rev"], imported.data)


async def test_imported_records_blobs_are_listed_missing_until_uploaded(
    target: Any, account_factory: Any
) -> None:
    exported, moved = await export_and_move(target, account_factory)
    assert (await import_car(target, moved, exported.car)).status_code == 200
    missing = "/xrpc/com.atproto.repo.listMissingBlobs"
    answer = await get_json(target, missing, moved.headers)
    assert answer["blobs"] == [
        {"cid": exported.blob_cid, "recordUri": f"at://{moved.did}/{POST}/{tid(12)}"}
    ]
    await upload_png(target, moved)
    assert (await get_json(target, missing, moved.headers))["blobs"] == []
    served = await target.get(
        f"/xrpc/com.atproto.sync.getBlob?did={moved.did}&cid={exported.blob_cid}"
    )
    assert served.status_code == 200 and await served.get_data() == PNG


async def test_an_import_replaces_what_the_repo_held(target: Any, alice: Any) -> None:
    for n in range(3):
        await write_post(target, alice, n)
    car = await repo_car({f"{POST}/{tid(7)}": post(7)}, did=alice.did, key=alice.key)
    assert (await import_car(target, alice, car)).status_code == 200
    assert [r["uri"] for r in await records_of(target, alice.did, POST)] == [
        f"at://{alice.did}/{POST}/{tid(7)}"
    ]
    assert await Record.filter(did=alice.did).count() == 1
    # The tree, the record and the new commit: nothing of the old repo is kept.
    assert await RepoBlock.filter(did=alice.did).count() == 3


async def test_an_empty_repo_imports(target: Any, alice: Any) -> None:
    await write_post(target, alice, 1)
    car = await repo_car({}, did=alice.did, key=alice.key)
    assert (await import_car(target, alice, car)).status_code == 200
    assert await records_of(target, alice.did, POST) == []


# --- The #sync event ----------------------------------------------------------------------


async def test_an_import_sequences_one_sync_event_with_the_new_commit(
    target: Any, alice: Any
) -> None:
    before = await RepoEvent.all().count()
    car = await repo_car({f"{POST}/{tid(1)}": post(1)}, did=alice.did, key=alice.key)
    async with target.websocket(f"/xrpc/com.atproto.sync.subscribeRepos?cursor={before}") as ws:
        assert (await import_car(target, alice, car)).status_code == 200
        async with asyncio.timeout(RECEIVE_TIMEOUT_S):
            frame = await ws.receive()
    assert await RepoEvent.all().count() == before + 1
    header, body = libipld.decode_dag_cbor_multi(frame)
    assert header == {"op": 1, "t": "#sync"}
    head = await get_json(target, f"/xrpc/com.atproto.sync.getLatestCommit?did={alice.did}")
    assert set(body) == {"seq", "did", "rev", "blocks", "time"}
    assert (body["seq"], body["did"], body["rev"]) == (before + 1, alice.did, head["rev"])
    roots, blocks = read_car(body["blocks"])
    assert [str(root) for root in roots] == [head["cid"]] and list(blocks) == roots
    commit = parse_commit(blocks[roots[0]])
    assert commit.verify(alice.key.public_key()) and commit.rev == head["rev"]


async def test_an_import_into_an_inactive_repo_sequences_no_event(target: Any, alice: Any) -> None:
    await Repo.filter(did=alice.did).update(status="deactivated")
    before = await RepoEvent.all().count()
    car = await repo_car({f"{POST}/{tid(1)}": post(1)}, did=alice.did, key=alice.key)
    assert (await import_car(target, alice, car)).status_code == 200
    assert await RepoEvent.all().count() == before
    assert await Record.filter(did=alice.did).values_list("rkey", flat=True) == [tid(1)]


async def test_the_sdk_firehose_client_reads_the_sync_event(live_server: Any) -> None:
    server = await live_server(handles=["alice.test"])
    alice = server.accounts["alice.test"]
    car = await repo_car({f"{POST}/{tid(1)}": post(1)}, did=alice.did, key=alice.key)
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{server.url}{IMPORT}",
            content=car,
            headers={**alice.headers, "Content-Type": CAR_TYPE},
        )
        assert response.status_code == 200, response.text
        head = (
            await http.get(f"{server.url}/xrpc/com.atproto.sync.getLatestCommit?did={alice.did}")
        ).json()
    syncs = await sdk_firehose_events(
        server.url, models.ComAtprotoSyncSubscribeRepos.Sync, lambda syncs: bool(syncs)
    )
    [sync] = syncs
    assert (sync.did, sync.rev) == (alice.did, head["rev"])
    car_file = CAR.from_bytes(sync.blocks)
    assert str(car_file.root) == head["cid"]
    roots, blocks = read_car(sync.blocks)
    signed = parse_commit(blocks[roots[0]])
    assert verify_signature(alice.did_key, encode(signed.unsigned()), signed.sig)


# --- Refused imports ------------------------------------------------------------------------

BadCar = Callable[[Any], Any]


async def _truncated(alice: Any) -> bytes:
    return (await repo_car({f"{POST}/{tid(1)}": post(1)}, did=alice.did, key=alice.key))[:-7]


async def _not_a_car(alice: Any) -> bytes:
    return b'{"this": "is json"}'


async def _two_roots(alice: Any) -> bytes:
    root, blocks = await build_tree({f"{POST}/{tid(1)}": post(1)})
    commit = sign_commit(did=alice.did, data=root, rev=tid(10_000), key=alice.key).block()
    cid = Cid.for_dag_cbor(commit)
    return write_car([cid, root], [(cid, commit), *blocks.items()])


async def _root_not_a_commit(alice: Any) -> bytes:
    root, blocks = await build_tree({f"{POST}/{tid(1)}": post(1)})
    return write_car([root], blocks.items())


async def _wrong_did(alice: Any) -> bytes:
    return await repo_car({f"{POST}/{tid(1)}": post(1)}, did="did:plc:someoneelse", key=alice.key)


async def _bad_signature(alice: Any) -> bytes:
    other = PrivateKey.generate("k256")
    return await repo_car({f"{POST}/{tid(1)}": post(1)}, did=alice.did, key=other)


async def _bad_block_hash(alice: Any) -> bytes:
    root, blocks = await build_tree({f"{POST}/{tid(1)}": post(1)})
    record_cid = next(cid for cid, block in blocks.items() if b"post 1" in block)
    blocks[record_cid] = encode(post(2))  # different bytes under the old CID
    return commit_car(root, blocks, did=alice.did, key=alice.key)


async def _missing_record_block(alice: Any) -> bytes:
    root, blocks = await build_tree({f"{POST}/{tid(1)}": post(1), f"{POST}/{tid(2)}": post(2)})
    record_cid = next(cid for cid, block in blocks.items() if b"post 2" in block)
    del blocks[record_cid]
    return commit_car(root, blocks, did=alice.did, key=alice.key)


async def _missing_mst_node(alice: Any) -> bytes:
    low, high = keys_of_height(0, 1)[0], keys_of_height(1, 1)[0]
    records = {low: post(1), high: post(2)}
    root, blocks = await build_tree(records)
    root_node = decode(blocks[root])
    del blocks[root_node["l"] or root_node["e"][0]["t"]]
    return commit_car(root, blocks, did=alice.did, key=alice.key)


async def _unsorted_node(alice: Any) -> bytes:
    first, second = keys_of_height(0, 2)
    value = Cid.for_dag_cbor(encode(post(1)))
    block = node([(second, value, None), (first, value, None)])
    root = Cid.for_dag_cbor(block)
    return commit_car(root, {root: block, value: encode(post(1))}, did=alice.did, key=alice.key)


async def _subtree_on_the_wrong_side(alice: Any) -> bytes:
    top = keys_of_height(1, 1)[0]
    below = [k for k in keys_of_height(0, 40) if k < top][:1]
    assert below, "no height-0 key sorts before the height-1 key"
    value = Cid.for_dag_cbor(encode(post(1)))
    leaf = node([(below[0], value, None)])
    leaf_cid = Cid.for_dag_cbor(leaf)
    root_block = node([(top, value, leaf_cid)])  # a smaller key right of a larger one
    root = Cid.for_dag_cbor(root_block)
    blocks = {root: root_block, leaf_cid: leaf, value: encode(post(1))}
    return commit_car(root, blocks, did=alice.did, key=alice.key)


async def _invalid_record_path(alice: Any) -> bytes:
    value = Cid.for_dag_cbor(encode(post(1)))
    block = node([("not-a-path", value, None)])  # the tree code refuses to build this
    root = Cid.for_dag_cbor(block)
    return commit_car(root, {root: block, value: encode(post(1))}, did=alice.did, key=alice.key)


async def _record_not_an_object(alice: Any) -> bytes:
    listed = encode(["not", "a", "record"])
    listed_cid = Cid.for_dag_cbor(listed)
    change = await Mst.empty(MemoryBlockReader()).apply(
        [MstOp(action="create", key=f"{POST}/{tid(1)}", value=listed_cid)]
    )
    blocks = {**change.new_blocks, listed_cid: listed}
    return commit_car(change.root, blocks, did=alice.did, key=alice.key)


async def _record_nested_too_deep(alice: Any) -> bytes:
    deep: Any = "bottom"
    for _ in range(200):  # past the default xrpc.max_nesting_levels (128)
        deep = [deep]
    record = {**post(1), "deep": deep}
    return await repo_car({f"{POST}/{tid(1)}": record}, did=alice.did, key=alice.key)


# Each bad CAR and what the refusal's message says.
BAD_CARS: dict[str, tuple[BadCar, str]] = {
    "truncated": (_truncated, "runs past the end of the file"),
    "not a CAR": (_not_a_car, "Invalid CAR file"),
    "two roots": (_two_roots, "expected one root, found 2"),
    "root not a commit": (_root_not_a_commit, "Invalid repo commit"),
    "wrong DID": (_wrong_did, "The repo commit is for 'did:plc:someoneelse'"),
    "bad signature": (_bad_signature, "signature does not verify"),
    "bad block hash": (_bad_block_hash, "does not match its CID"),
    "missing record block": (_missing_record_block, "is missing"),
    "missing MST node": (_missing_mst_node, "MST block"),
    "unsorted MST node": (_unsorted_node, "keys out of order"),
    "subtree on the wrong side": (_subtree_on_the_wrong_side, "is out of order"),
    "invalid record path": (_invalid_record_path, "must be collection/rkey"),
    "record not an object": (_record_not_an_object, "is not an object with a $type"),
    "record nested too deep": (_record_nested_too_deep, "nested more than 128 levels deep"),
}


@pytest.mark.parametrize("problem", list(BAD_CARS))
async def test_a_bad_car_is_refused_and_changes_nothing(
    target: Any, alice: Any, problem: str
) -> None:
    await write_post(target, alice, 1)
    car = await BAD_CARS[problem][0](alice)
    before = await snapshot(target, alice.did)
    response = await import_car(target, alice, car)
    assert response.status_code == 400, await response.get_data()
    answer = await response.get_json()
    assert answer["error"] == "InvalidRequest" and answer["message"]
    assert BAD_CARS[problem][1] in answer["message"]
    assert await snapshot(target, alice.did) == before


async def test_an_import_needs_a_full_access_session(target: Any, alice: Any) -> None:
    car = await repo_car({}, did=alice.did, key=alice.key)
    response = await target.post(IMPORT, data=car, headers={"Content-Type": CAR_TYPE})
    assert response.status_code == 401


async def test_a_car_over_the_import_limit_is_413(
    client_factory: Any, settings_factory: Any, account_factory: Any
) -> None:
    client = await client_factory(settings_factory(repo={"import_max_bytes": 1000}))
    alice = await account_factory(client, "alice.test")
    records = {f"{POST}/{tid(n)}": post(n) for n in range(40)}
    car = await repo_car(records, did=alice.did, key=alice.key)
    assert len(car) > 1000
    response = await import_car(client, alice, car)
    assert response.status_code == 413
    assert await records_of(client, alice.did, POST) == []


async def test_the_wrong_content_type_is_refused(target: Any, alice: Any) -> None:
    car = await repo_car({}, did=alice.did, key=alice.key)
    response = await target.post(
        IMPORT, data=car, headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


# --- Lexicon validation (repo.import_validate_records) --------------------------------------

INVALID_POST = {"$type": POST, "text": 42, "createdAt": NOW}


async def test_records_breaking_their_lexicon_import_as_they_are_by_default(
    target: Any, alice: Any
) -> None:
    car = await repo_car({f"{POST}/{tid(1)}": INVALID_POST}, did=alice.did, key=alice.key)
    assert (await import_car(target, alice, car)).status_code == 200
    assert [r["value"] for r in await records_of(target, alice.did, POST)] == [INVALID_POST]


@pytest.mark.parametrize(
    "records",
    [
        {f"{POST}/{tid(1)}": INVALID_POST},
        {f"{POST}/not-a-tid": post(1)},
        {f"{POST}/{tid(1)}": {**post(1), "$type": PROFILE}},
    ],
    ids=["schema", "record key type", "$type not the collection"],
)
async def test_with_validation_on_a_record_breaking_its_lexicon_is_refused(
    client_factory: Any, settings_factory: Any, account_factory: Any, records: Any
) -> None:
    client = await client_factory(settings_factory(repo={"import_validate_records": True}))
    alice = await account_factory(client, "alice.test")
    car = await repo_car(records, did=alice.did, key=alice.key)
    response = await import_car(client, alice, car)
    assert response.status_code == 400
    assert "Invalid" in (await response.get_json())["message"]
    assert await records_of(client, alice.did, POST) == []


async def test_with_validation_on_valid_and_unknown_records_import(
    client_factory: Any, settings_factory: Any, account_factory: Any
) -> None:
    client = await client_factory(settings_factory(repo={"import_validate_records": True}))
    alice = await account_factory(client, "alice.test")
    unknown = {"$type": "com.example.thing", "anything": [1, 2]}
    records = {f"{POST}/{tid(1)}": post(1), "com.example.thing/x": unknown}
    car = await repo_car(records, did=alice.did, key=alice.key)
    assert (await import_car(client, alice, car)).status_code == 200
    assert len(await records_of(client, alice.did, POST)) == 1
    assert [r["value"] for r in await records_of(client, alice.did, "com.example.thing")] == [
        unknown
    ]
