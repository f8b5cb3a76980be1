"""``pds_check_record``: a plugin allows, refuses or labels every record before commit.

Covers createRecord, putRecord, applyWrites (all or nothing), writes a plugin makes
through the writer, and importRepo, on SQLite (in-process cache) and PostgreSQL (Redis).
"""

from __future__ import annotations

from typing import Any

import pytest

from exprsn_pds import (
    InvalidRequest,
    RecordLabels,
    RecordRefusal,
    XrpcError,
    hookimpl,
    record_labels,
)
from exprsn_pds.accounts.lifecycle import delete_account
from exprsn_pds.app import get_pds
from exprsn_pds.datamodel import Cid, encode, write_car
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.pds import Pds
from exprsn_pds.repo.checks import RecordOrigin
from exprsn_pds.repo.commit import sign_commit
from exprsn_pds.repo.models import Record, RecordLabel, Repo
from exprsn_pds.repo.mst import MemoryBlockReader, Mst, MstOp
from exprsn_pds.repo.writes import Action, RecordWrite

XRPC = "/xrpc/com.atproto.repo"
POST = "app.bsky.feed.post"
NOW = "2024-05-01T12:00:00.000Z"
RULE = "no-forbidden-words"


def post(text: str) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": NOW}


class Teapot(XrpcError):
    status = 418
    default_error = "Teapot"


class Policy:
    """Refuses "forbidden", labels "spoiler", raises its own error for "teapot"."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, RecordOrigin]] = []

    @hookimpl
    def pds_check_record(
        self, did: str, collection: str, rkey: str, record: dict[str, Any], origin: RecordOrigin
    ) -> RecordRefusal | RecordLabels | None:
        self.seen.append((did, collection, rkey, origin))
        text = str(record.get("text", ""))
        if "forbidden" in text:
            return RecordRefusal(RULE, "the text says forbidden")
        if "teapot" in text:
            raise Teapot("short and stout")
        if "spoiler" in text:
            return RecordLabels(("spoiler",))
        return None


class AsyncLabeller:
    """Labels "nsfw" (and "spoiler" again) from an awaitable."""

    @hookimpl
    async def pds_check_record(self, record: dict[str, Any]) -> RecordLabels | None:
        text = str(record.get("text", ""))
        values = tuple(word for word in ("nsfw", "spoiler") if word in text and "nsfw" in text)
        return RecordLabels(values) if values else None


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
async def client(client_factory: Any, policy: Policy) -> Any:
    return await client_factory(extra_plugins=[("policy", policy), ("labeller", AsyncLabeller())])


@pytest.fixture
async def alice(client: Any, account_factory: Any) -> Any:
    return await account_factory(client, "alice.test")


async def post_json(client: Any, method: str, body: dict[str, Any], account: Any) -> Any:
    response = await client.post(f"{XRPC}.{method}", json=body, headers=account.headers)
    return response.status_code, await response.get_json()


async def create(client: Any, account: Any, rkey: str, text: str) -> Any:
    return await post_json(
        client,
        "createRecord",
        {"repo": account.did, "collection": POST, "rkey": rkey, "record": post(text)},
        account,
    )


async def put(client: Any, account: Any, rkey: str, text: str) -> Any:
    return await post_json(
        client,
        "putRecord",
        {"repo": account.did, "collection": POST, "rkey": rkey, "record": post(text)},
        account,
    )


async def snapshot(did: str) -> tuple[Any, ...]:
    """Everything a refused write must leave as it was."""
    repo = await Repo.get(did=did)
    records = await Record.filter(did=did).order_by("rkey").values_list("rkey", "cid")
    labels = await RecordLabel.filter(did=did).order_by("id").values_list("path", "cid", "val")
    return repo.head, repo.rev, records, labels, await RepoEvent.filter(did=did).count()


def uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST}/{rkey}"


def assert_refused(status: int, body: dict[str, Any]) -> None:
    assert status == 400, body
    assert body["error"] == "InvalidRequest"
    assert RULE in body["message"] and "forbidden" in body["message"]


async def test_create_record_is_refused_and_nothing_is_written(
    client: Any, alice: Any, policy: Policy
) -> None:
    before = await snapshot(alice.did)
    assert_refused(*await create(client, alice, "3kaaaaaaaaaa2", "a forbidden word"))
    assert await snapshot(alice.did) == before
    assert policy.seen == [(alice.did, POST, "3kaaaaaaaaaa2", "write")]


async def test_an_allowed_record_is_written_without_labels(client: Any, alice: Any) -> None:
    status, body = await create(client, alice, "3kaaaaaaaaaa2", "hello")
    assert status == 200, body
    assert await record_labels(body["uri"]) == []


async def test_put_record_update_is_refused_and_the_old_record_stays(
    client: Any, alice: Any
) -> None:
    assert (await put(client, alice, "3kaaaaaaaaaa2", "fine"))[0] == 200
    before = await snapshot(alice.did)
    assert_refused(*await put(client, alice, "3kaaaaaaaaaa2", "now forbidden"))
    assert await snapshot(alice.did) == before


async def test_a_raised_xrpc_error_reaches_the_caller(client: Any, alice: Any) -> None:
    before = await snapshot(alice.did)
    status, body = await create(client, alice, "3kaaaaaaaaaa2", "I'm a little teapot")
    assert (status, body["error"], body["message"]) == (418, "Teapot", "short and stout")
    assert await snapshot(alice.did) == before


async def test_apply_writes_is_refused_whole(client: Any, alice: Any) -> None:
    assert (await create(client, alice, "3kaaaaaaaaaa2", "first"))[0] == 200
    before = await snapshot(alice.did)
    writes = [
        {
            "$type": "com.atproto.repo.applyWrites#create",
            "collection": POST,
            "rkey": "3kaaaaaaaaaa3",
            "value": post("a spoiler, allowed"),
        },
        {
            "$type": "com.atproto.repo.applyWrites#delete",
            "collection": POST,
            "rkey": "3kaaaaaaaaaa2",
        },
        {
            "$type": "com.atproto.repo.applyWrites#create",
            "collection": POST,
            "rkey": "3kaaaaaaaaaa4",
            "value": post("forbidden, refused"),
        },
    ]
    status, body = await post_json(
        client, "applyWrites", {"repo": alice.did, "writes": writes}, alice
    )
    assert_refused(status, body)
    assert await snapshot(alice.did) == before


async def test_labels_are_stored_with_the_record_and_follow_it(client: Any, alice: Any) -> None:
    status, body = await create(client, alice, "3kaaaaaaaaaa2", "a spoiler")
    assert status == 200, body
    address = uri(alice.did, "3kaaaaaaaaaa2")
    assert await record_labels(address) == ["spoiler"]
    assert await record_labels(address, cid=body["cid"]) == ["spoiler"]

    status, body = await put(client, alice, "3kaaaaaaaaaa2", "spoiler and nsfw")
    assert status == 200, body
    assert await record_labels(address) == ["nsfw", "spoiler"]
    assert await record_labels(address, cid=body["cid"]) == ["nsfw", "spoiler"]

    status, body = await put(client, alice, "3kaaaaaaaaaa2", "nothing to see")
    assert status == 200, body
    assert await record_labels(address) == []

    assert (await put(client, alice, "3kaaaaaaaaaa2", "spoiler again"))[0] == 200
    status, body = await post_json(
        client,
        "deleteRecord",
        {"repo": alice.did, "collection": POST, "rkey": "3kaaaaaaaaaa2"},
        alice,
    )
    assert status == 200, body
    assert await record_labels(address) == []
    assert await RecordLabel.filter(did=alice.did).count() == 0


async def test_apply_writes_labels_each_record(client: Any, alice: Any) -> None:
    writes = [
        {
            "$type": "com.atproto.repo.applyWrites#create",
            "collection": POST,
            "rkey": rkey,
            "value": post(text),
        }
        for rkey, text in (("3kaaaaaaaaaa2", "spoiler"), ("3kaaaaaaaaaa3", "plain"))
    ]
    status, body = await post_json(
        client, "applyWrites", {"repo": alice.did, "writes": writes}, alice
    )
    assert status == 200, body
    assert await record_labels(uri(alice.did, "3kaaaaaaaaaa2")) == ["spoiler"]
    assert await record_labels(uri(alice.did, "3kaaaaaaaaaa3")) == []


async def test_a_plugin_writing_for_a_user_is_checked_too(
    client: Any, alice: Any, policy: Policy
) -> None:
    writer = get_pds(client.app).repo_writer
    before = await snapshot(alice.did)
    with pytest.raises(InvalidRequest, match=RULE):
        await writer.apply_writes(
            alice.did, [RecordWrite(Action.CREATE, POST, "3kaaaaaaaaaa2", post("forbidden"))]
        )
    assert await snapshot(alice.did) == before
    result = await writer.apply_writes(
        alice.did, [RecordWrite(Action.CREATE, POST, "3kaaaaaaaaaa3", post("spoiler"))]
    )
    assert result.results[0].uri == uri(alice.did, "3kaaaaaaaaaa3")
    assert await record_labels(result.results[0].uri) == ["spoiler"]
    assert [origin for *_, origin in policy.seen] == ["write", "write"]


# --- importRepo -------------------------------------------------------------------------------


async def repo_car(account: Any, texts: dict[str, str]) -> bytes:
    """A repo of ``account`` holding a post per rkey, signed with its key."""
    blocks = MemoryBlockReader()
    ops = []
    for rkey, text in texts.items():
        block = encode(post(text))
        cid = Cid.for_dag_cbor(block)
        blocks[cid] = block
        ops.append(MstOp(action="create", key=f"{POST}/{rkey}", value=cid))
    change = await Mst.empty(blocks).apply(ops)
    blocks.update(change.new_blocks)
    commit = sign_commit(did=account.did, data=change.root, rev="3kzzzzzzzzzz2", key=account.key)
    commit_block = commit.block()
    commit_cid = Cid.for_dag_cbor(commit_block)
    return write_car([commit_cid], [(commit_cid, commit_block), *dict(blocks).items()])


async def import_car(client: Any, account: Any, car: bytes) -> Any:
    response = await client.post(
        f"{XRPC}.importRepo",
        data=car,
        headers={**account.headers, "Content-Type": "application/vnd.ipld.car"},
    )
    return response.status_code, await response.get_json()


async def test_import_repo_is_refused_whole(client: Any, alice: Any, policy: Policy) -> None:
    assert (await create(client, alice, "3kaaaaaaaaaa2", "a spoiler here"))[0] == 200
    before = await snapshot(alice.did)
    car = await repo_car(
        alice, {"3kaaaaaaaaaa3": "fine", "3kaaaaaaaaaa4": "forbidden", "3kaaaaaaaaaa5": "ok"}
    )
    assert_refused(*await import_car(client, alice, car))
    assert await snapshot(alice.did) == before
    assert [rkey for _, _, rkey, origin in policy.seen if origin == "import"] == [
        "3kaaaaaaaaaa3",
        "3kaaaaaaaaaa4",
    ]


async def test_import_repo_labels_its_records_and_drops_the_old_labels(
    client: Any, alice: Any, policy: Policy
) -> None:
    assert (await create(client, alice, "3kaaaaaaaaaa2", "a spoiler here"))[0] == 200
    car = await repo_car(alice, {"3kaaaaaaaaaa3": "spoiler and nsfw", "3kaaaaaaaaaa4": "plain"})
    status, body = await import_car(client, alice, car)
    assert status == 200, body
    assert await record_labels(uri(alice.did, "3kaaaaaaaaaa2")) == []
    assert await record_labels(uri(alice.did, "3kaaaaaaaaaa3")) == ["nsfw", "spoiler"]
    assert await record_labels(uri(alice.did, "3kaaaaaaaaaa4")) == []
    imported = [(rkey, origin) for _, _, rkey, origin in policy.seen if origin == "import"]
    assert imported == [("3kaaaaaaaaaa3", "import"), ("3kaaaaaaaaaa4", "import")]


async def test_deleting_the_account_drops_its_labels(client: Any, alice: Any) -> None:
    assert (await create(client, alice, "3kaaaaaaaaaa2", "a spoiler"))[0] == 200
    pds: Pds = get_pds(client.app)
    await delete_account(pds, alice.did)
    assert await RecordLabel.filter(did=alice.did).count() == 0


@pytest.mark.parametrize(
    "address",
    ["not a uri", "at://alice.test/app.bsky.feed.post/3kaaaaaaaaaa2", f"at://did:plc:{'x' * 24}"],
)
async def test_record_labels_of_what_names_no_record_are_none(client: Any, address: str) -> None:
    assert await record_labels(address) == []


def test_a_label_value_must_be_a_short_string() -> None:
    with pytest.raises(ValueError, match="label value"):
        RecordLabels(("",))
    with pytest.raises(ValueError, match="label value"):
        RecordLabels(("x" * 129,))
