"""com.atproto.repo writes and reads over XRPC, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from exprsn_pds.app import get_pds
from exprsn_pds.tokens import ACCESS_TYP, REFRESH_TYP, Scope
from exprsn_pds.tokens import mint as mint_token

POST = "app.bsky.feed.post"
NOW = "2024-05-01T12:00:00.000Z"


def post(text: str = "hello") -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": NOW}


async def create(client: Any, account: Any, record: Any, **extra: Any) -> Any:
    body = {"repo": account.did, "collection": extra.pop("collection", POST), "record": record}
    return await client.post(
        "/xrpc/com.atproto.repo.createRecord", json={**body, **extra}, headers=account.headers
    )


async def latest(client: Any, did: str) -> dict[str, Any]:
    response = await client.get(f"/xrpc/com.atproto.sync.getLatestCommit?did={did}")
    return dict(await response.get_json())


async def test_create_record_returns_uri_cid_and_commit(client: Any, alice: Any) -> None:
    response = await create(client, alice, post())
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["uri"].startswith(f"at://{alice.did}/{POST}/")
    assert body["validationStatus"] == "valid"
    assert body["commit"] == await latest(client, alice.did)


async def test_get_record_returns_what_was_written(client: Any, alice: Any) -> None:
    created = await (await create(client, alice, post("round trip"))).get_json()
    rkey = created["uri"].rsplit("/", 1)[1]
    response = await client.get(
        f"/xrpc/com.atproto.repo.getRecord?repo={alice.did}&collection={POST}&rkey={rkey}"
    )
    assert await response.get_json() == {
        "uri": created["uri"],
        "cid": created["cid"],
        "value": post("round trip"),
    }


async def test_get_record_by_handle(client: Any, alice: Any) -> None:
    created = await (await create(client, alice, post())).get_json()
    rkey = created["uri"].rsplit("/", 1)[1]
    response = await client.get(
        f"/xrpc/com.atproto.repo.getRecord?repo=alice.test&collection={POST}&rkey={rkey}"
    )
    assert (await response.get_json())["cid"] == created["cid"]


async def test_a_missing_record_is_record_not_found(client: Any, alice: Any) -> None:
    response = await client.get(
        f"/xrpc/com.atproto.repo.getRecord?repo={alice.did}&collection={POST}&rkey=3kznmn7xqxl22"
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "RecordNotFound"


async def test_the_type_is_filled_in_when_missing(client: Any, alice: Any) -> None:
    record = {"text": "no type", "createdAt": NOW}
    assert (await create(client, alice, record)).status_code == 200


@pytest.mark.parametrize(
    "record",
    [
        {"$type": POST, "createdAt": NOW},
        {"$type": "app.bsky.feed.like", "text": "x", "createdAt": NOW},
        {"$type": POST, "text": "x", "createdAt": "yesterday"},
        {"$type": POST, "text": "x" * 3001, "createdAt": NOW},
        {"$type": POST, "text": "x", "createdAt": NOW, "score": 1.5},
        {"$type": POST, "text": "x", "createdAt": NOW, "link": {"$link": "notacid"}},
    ],
)
async def test_bad_records_are_400_and_leave_the_repo_unchanged(
    client: Any, alice: Any, record: dict[str, Any]
) -> None:
    before = await latest(client, alice.did)
    response = await create(client, alice, record)
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "InvalidRequest"
    assert await latest(client, alice.did) == before


async def test_unknown_collections_are_accepted_as_unknown(client: Any, alice: Any) -> None:
    response = await create(client, alice, {"a": 1}, collection="com.example.thing")
    assert (await response.get_json())["validationStatus"] == "unknown"


async def test_validate_true_needs_a_known_lexicon(client: Any, alice: Any) -> None:
    response = await create(client, alice, {"a": 1}, collection="com.example.thing", validate=True)
    assert response.status_code == 400


async def test_validate_false_skips_the_lexicon(client: Any, alice: Any) -> None:
    response = await create(client, alice, {"$type": POST, "anything": True}, validate=False)
    body = await response.get_json()
    assert response.status_code == 200
    assert "validationStatus" not in body


@pytest.mark.parametrize("rkey", ["not a key!", "..", "self"])
async def test_rkeys_must_fit_the_lexicon_key_type(client: Any, alice: Any, rkey: str) -> None:
    response = await create(client, alice, post(), rkey=rkey)
    assert response.status_code == 400


async def test_literal_keys_are_chosen_from_the_lexicon(client: Any, alice: Any) -> None:
    profile = {"$type": "app.bsky.actor.profile", "displayName": "Alice"}
    body = await (
        await create(client, alice, profile, collection="app.bsky.actor.profile")
    ).get_json()
    assert body["uri"].endswith("/app.bsky.actor.profile/self")


async def test_nobody_writes_another_accounts_repo(
    client: Any, alice: Any, account_factory: Any
) -> None:
    mallory = await account_factory(client, "mallory.test")
    response = await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={"repo": alice.did, "collection": POST, "record": post()},
        headers=mallory.headers,
    )
    assert response.status_code == 403


async def test_writes_need_a_token(client: Any, alice: Any) -> None:
    response = await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={"repo": alice.did, "collection": POST, "record": post()},
    )
    assert response.status_code == 401


def _token(client: Any, did: str, **changes: Any) -> dict[str, str]:
    pds = get_pds(client.app)
    claims = {
        "secret": pds.settings.jwt_secret,
        "did": did,
        "audience": pds.settings.service_did,
        "scope": Scope.ACCESS,
        "ttl_s": 3600,
        "typ": ACCESS_TYP,
        **changes,
    }
    return {"Authorization": f"Bearer {mint_token(**claims)}"}


@pytest.mark.parametrize(
    "changes",
    [
        {"secret": "a-forged-secret-that-is-long-enough-to-sign"},
        {"typ": REFRESH_TYP, "scope": Scope.REFRESH},
        {"audience": "did:web:elsewhere.example"},
    ],
    ids=["forged", "refresh-as-access", "wrong-audience"],
)
async def test_bad_tokens_are_401(client: Any, alice: Any, changes: dict[str, Any]) -> None:
    response = await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={"repo": alice.did, "collection": POST, "record": post()},
        headers=_token(client, alice.did, **changes),
    )
    assert response.status_code == 401


async def test_an_expired_token_is_400_expired_token(client: Any, alice: Any) -> None:
    headers = _token(client, alice.did, now=time.time() - 7200)
    response = await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={"repo": alice.did, "collection": POST, "record": post()},
        headers=headers,
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "ExpiredToken"


async def put(client: Any, account: Any, rkey: str, record: Any, **extra: Any) -> Any:
    return await client.post(
        "/xrpc/com.atproto.repo.putRecord",
        json={"repo": account.did, "collection": POST, "rkey": rkey, "record": record, **extra},
        headers=account.headers,
    )


async def test_put_record_creates_then_replaces(client: Any, alice: Any) -> None:
    first = await (await put(client, alice, "3kznmn7xqxl22", post("one"))).get_json()
    second = await (await put(client, alice, "3kznmn7xqxl22", post("two"))).get_json()
    assert first["uri"] == second["uri"] and first["cid"] != second["cid"]


async def test_an_unchanged_put_is_a_no_op(client: Any, alice: Any) -> None:
    await put(client, alice, "3kznmn7xqxl22", post("same"))
    before = await latest(client, alice.did)
    response = await put(client, alice, "3kznmn7xqxl22", post("same"))
    assert response.status_code == 200
    assert await latest(client, alice.did) == before


async def test_a_wrong_swap_commit_is_invalid_swap(client: Any, alice: Any) -> None:
    stale = await latest(client, alice.did)
    await create(client, alice, post())
    response = await create(client, alice, post(), swapCommit=stale["cid"])
    assert (await response.get_json())["error"] == "InvalidSwap"


async def test_a_wrong_swap_record_is_invalid_swap(client: Any, alice: Any) -> None:
    first = await (await put(client, alice, "3kznmn7xqxl22", post("one"))).get_json()
    await put(client, alice, "3kznmn7xqxl22", post("two"))
    response = await put(client, alice, "3kznmn7xqxl22", post("three"), swapRecord=first["cid"])
    assert (await response.get_json())["error"] == "InvalidSwap"


async def test_delete_record_removes_it(client: Any, alice: Any) -> None:
    created = await (await create(client, alice, post())).get_json()
    rkey = created["uri"].rsplit("/", 1)[1]
    response = await client.post(
        "/xrpc/com.atproto.repo.deleteRecord",
        json={"repo": alice.did, "collection": POST, "rkey": rkey},
        headers=alice.headers,
    )
    assert response.status_code == 200
    gone = await client.get(
        f"/xrpc/com.atproto.repo.getRecord?repo={alice.did}&collection={POST}&rkey={rkey}"
    )
    assert (await gone.get_json())["error"] == "RecordNotFound"


async def test_apply_writes_commits_all_operations_at_once(client: Any, alice: Any) -> None:
    await put(client, alice, "3kznmn7xqxl22", post("to update"))
    await put(client, alice, "3kznmn7xqxl2b", post("to delete"))
    writes = [
        {"$type": "com.atproto.repo.applyWrites#create", "collection": POST, "value": post("new")},
        {
            "$type": "com.atproto.repo.applyWrites#update",
            "collection": POST,
            "rkey": "3kznmn7xqxl22",
            "value": post("updated"),
        },
        {
            "$type": "com.atproto.repo.applyWrites#delete",
            "collection": POST,
            "rkey": "3kznmn7xqxl2b",
        },
    ]
    response = await client.post(
        "/xrpc/com.atproto.repo.applyWrites",
        json={"repo": alice.did, "writes": writes},
        headers=alice.headers,
    )
    body = await response.get_json()
    assert response.status_code == 200, body
    assert [r["$type"].rsplit("#", 1)[1] for r in body["results"]] == [
        "createResult",
        "updateResult",
        "deleteResult",
    ]
    assert body["commit"] == await latest(client, alice.did)


async def test_one_bad_write_fails_the_whole_batch(client: Any, alice: Any) -> None:
    before = await latest(client, alice.did)
    writes = [
        {"$type": "com.atproto.repo.applyWrites#create", "collection": POST, "value": post()},
        {
            "$type": "com.atproto.repo.applyWrites#delete",
            "collection": POST,
            "rkey": "3kznmn7xqxl2z",
        },
    ]
    response = await client.post(
        "/xrpc/com.atproto.repo.applyWrites",
        json={"repo": alice.did, "writes": writes},
        headers=alice.headers,
    )
    assert response.status_code == 400
    assert await latest(client, alice.did) == before


async def test_more_than_200_writes_are_refused(client: Any, alice: Any) -> None:
    writes = [
        {"$type": "com.atproto.repo.applyWrites#create", "collection": POST, "value": post()}
    ] * 201
    response = await client.post(
        "/xrpc/com.atproto.repo.applyWrites",
        json={"repo": alice.did, "writes": writes},
        headers=alice.headers,
    )
    assert response.status_code == 400


async def test_list_records_is_newest_first_with_a_cursor(client: Any, alice: Any) -> None:
    rkeys = [f"3kznmn7xqxl2{c}" for c in "abcde"]
    for i, rkey in enumerate(rkeys):
        await put(client, alice, rkey, post(str(i)))
    url = f"/xrpc/com.atproto.repo.listRecords?repo={alice.did}&collection={POST}&limit=2"
    first = await (await client.get(url)).get_json()
    second = await (await client.get(f"{url}&cursor={first['cursor']}")).get_json()
    listed = [r["uri"].rsplit("/", 1)[1] for r in first["records"] + second["records"]]
    assert listed == list(reversed(rkeys))[:4]
    oldest = await (await client.get(f"{url}&reverse=true")).get_json()
    assert [r["value"]["text"] for r in oldest["records"]] == ["0", "1"]


async def test_describe_repo_reports_identity_and_collections(client: Any, alice: Any) -> None:
    await create(client, alice, post())
    body = await (
        await client.get(f"/xrpc/com.atproto.repo.describeRepo?repo={alice.did}")
    ).get_json()
    assert body["handle"] == "alice.test"
    assert body["did"] == alice.did
    assert body["collections"] == [POST]
    assert body["handleIsCorrect"] is True
    method = body["didDoc"]["verificationMethod"][0]
    assert f"did:key:{method['publicKeyMultibase']}" == alice.did_key
