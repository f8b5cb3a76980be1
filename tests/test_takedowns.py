"""Takedowns and deactivation hide repos, records and blobs from every read (SQLite and PostgreSQL).

The owner and the admin still read a hidden repo; lifting the takedown or reactivating
restores everything; the firehose announces each change with ``#account``.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

import libipld
import pytest
from helpers import bearer

from exprsn_pds.accounts.models import Account
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.repo.models import Blob, Record

XRPC = "/xrpc"
PASSWORD = "correct horse battery staple"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
RECEIVE_TIMEOUT_S = 10.0
REPO_REF = "com.atproto.admin.defs#repoRef"


@dataclass
class Hosted:
    """An account with a post and a record that uses a blob."""

    did: str
    access: str
    post_rkey: str
    post_cid: str
    blob_cid: str


async def json_of(response: Any) -> dict[str, Any]:
    return dict(await response.get_json())


async def new_account(client: Any, handle: str) -> dict[str, Any]:
    body = {"handle": handle, "email": f"{handle.split('.')[0]}@example.com", "password": PASSWORD}
    response = await client.post(f"{XRPC}/com.atproto.server.createAccount", json=body)
    answer = await json_of(response)
    assert response.status_code == 200, answer
    return answer


async def hosted(client: Any, handle: str = "alice.test") -> Hosted:
    account = await new_account(client, handle)
    headers = bearer(account["accessJwt"])
    post = await json_of(
        await client.post(
            f"{XRPC}/com.atproto.repo.createRecord",
            json={
                "repo": account["did"],
                "collection": "app.bsky.feed.post",
                "record": {"text": "hi", "createdAt": "2024-05-01T12:00:00.000Z"},
            },
            headers=headers,
        )
    )
    uploaded = await json_of(
        await client.post(
            f"{XRPC}/com.atproto.repo.uploadBlob",
            data=PNG,
            headers={**headers, "Content-Type": "image/png"},
        )
    )
    blob = uploaded["blob"]
    written = await client.post(
        f"{XRPC}/com.atproto.repo.createRecord",
        json={
            "repo": account["did"],
            "collection": "com.example.file",
            "record": {"file": blob},
        },
        headers=headers,
    )
    assert written.status_code == 200, await json_of(written)
    return Hosted(
        did=account["did"],
        access=account["accessJwt"],
        post_rkey=post["uri"].rsplit("/", 1)[1],
        post_cid=post["cid"],
        blob_cid=blob["ref"]["$link"],
    )


def read_paths(alice: Hosted) -> dict[str, str]:
    """Every read of a repo, by name, as a URL (owner and admin may read past a takedown)."""
    did = alice.did
    post = f"collection=app.bsky.feed.post&rkey={alice.post_rkey}"
    return {
        "repo.getRecord": f"com.atproto.repo.getRecord?repo={did}&{post}",
        "repo.listRecords": f"com.atproto.repo.listRecords?repo={did}&{post.split('&')[0]}",
        "sync.getRepo": f"com.atproto.sync.getRepo?did={did}",
        "sync.getRecord": f"com.atproto.sync.getRecord?did={did}&{post}",
        "sync.getBlocks": f"com.atproto.sync.getBlocks?did={did}&cids={alice.post_cid}",
        "sync.getLatestCommit": f"com.atproto.sync.getLatestCommit?did={did}",
        "sync.listBlobs": f"com.atproto.sync.listBlobs?did={did}",
        "sync.getBlob": f"com.atproto.sync.getBlob?did={did}&cid={alice.blob_cid}",
    }


async def assert_reads(
    client: Any, alice: Hosted, headers: dict[str, str], status: int, error: str | None = None
) -> None:
    for name, path in read_paths(alice).items():
        response = await client.get(f"{XRPC}/{path}", headers=headers)
        assert response.status_code == status, (name, await response.get_data())
        if error is not None:
            assert (await json_of(response))["error"] == error, name


async def set_subject(
    client: Any, admin_headers: dict[str, str], subject: dict[str, Any], **status: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{XRPC}/com.atproto.admin.updateSubjectStatus",
        json={"subject": subject, **status},
        headers=admin_headers,
    )
    body = await json_of(response)
    assert response.status_code == 200, body
    return body


async def repo_status(client: Any, did: str) -> dict[str, Any]:
    return await json_of(await client.get(f"{XRPC}/com.atproto.sync.getRepoStatus?did={did}"))


async def listed(client: Any, did: str) -> dict[str, Any]:
    repos = (await json_of(await client.get(f"{XRPC}/com.atproto.sync.listRepos")))["repos"]
    return next(repo for repo in repos if repo["did"] == did)


async def describe(client: Any, did: str, headers: dict[str, str]) -> Any:
    return await client.get(f"{XRPC}/com.atproto.repo.describeRepo?repo={did}", headers=headers)


# --- Account takedowns --------------------------------------------------------------------


async def test_a_taken_down_repo_is_hidden_but_owner_and_admin_still_read(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await hosted(client)
    bob = await new_account(client, "bob.test")
    await assert_reads(client, alice, {}, 200)

    taken = await set_subject(
        client,
        admin_headers,
        {"$type": REPO_REF, "did": alice.did},
        takedown={"applied": True, "ref": "report-1"},
    )
    assert taken["takedown"] == {"applied": True, "ref": "report-1"}
    assert (await Account.get(did=alice.did)).takedown_ref == "report-1"

    await assert_reads(client, alice, {}, 400, "RepoTakendown")
    await assert_reads(client, alice, bearer(bob["accessJwt"]), 400, "RepoTakendown")
    await assert_reads(client, alice, bearer(alice.access), 200)
    await assert_reads(client, alice, admin_headers, 200)
    for headers in ({}, admin_headers):
        response = await describe(client, alice.did, headers)
        assert (await json_of(response))["error"] == "RepoTakendown"
    assert await repo_status(client, alice.did) == {
        "did": alice.did,
        "active": False,
        "status": "takendown",
    }
    assert (await listed(client, alice.did))["status"] == "takendown"

    await set_subject(
        client, admin_headers, {"$type": REPO_REF, "did": alice.did}, takedown={"applied": False}
    )
    await assert_reads(client, alice, {}, 200)
    assert (await describe(client, alice.did, {})).status_code == 200
    assert (await repo_status(client, alice.did))["active"] is True
    assert (await listed(client, alice.did))["active"] is True


async def test_a_takedown_revokes_sessions_and_stops_writes(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    await set_subject(
        client, admin_headers, {"$type": REPO_REF, "did": alice["did"]}, takedown={"applied": True}
    )
    refreshed = await client.post(
        f"{XRPC}/com.atproto.server.refreshSession", headers=bearer(alice["refreshJwt"])
    )
    assert refreshed.status_code in (400, 401)
    write = await client.post(
        f"{XRPC}/com.atproto.repo.createRecord",
        json={
            "repo": alice["did"],
            "collection": "app.bsky.feed.post",
            "record": {"text": "x", "createdAt": "2024-05-01T12:00:00.000Z"},
        },
        headers=bearer(alice["accessJwt"]),
    )
    assert (await json_of(write))["error"] == "AccountTakedown"
    status = await client.get(
        f"{XRPC}/com.atproto.admin.getSubjectStatus?did={alice['did']}", headers=admin_headers
    )
    body = await json_of(status)
    assert body["subject"] == {"$type": REPO_REF, "did": alice["did"]}
    assert body["takedown"]["applied"] is True and body["takedown"]["ref"]
    assert body["deactivated"] == {"applied": False}


async def test_a_deactivated_repo_is_hidden_until_reactivated(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await hosted(client)
    await set_subject(
        client, admin_headers, {"$type": REPO_REF, "did": alice.did}, deactivated={"applied": True}
    )
    await assert_reads(client, alice, {}, 400, "RepoDeactivated")
    await assert_reads(client, alice, bearer(alice.access), 200)
    await assert_reads(client, alice, admin_headers, 200)
    assert (await repo_status(client, alice.did))["status"] == "deactivated"

    await set_subject(
        client, admin_headers, {"$type": REPO_REF, "did": alice.did}, deactivated={"applied": False}
    )
    await assert_reads(client, alice, {}, 200)


async def test_bad_credentials_on_a_public_read_are_refused(client: Any) -> None:
    alice = await hosted(client)
    for path in read_paths(alice).values():
        forged = await client.get(f"{XRPC}/{path}", headers=bearer("not.a.token"))
        assert forged.status_code == 401
        wrong = "Basic " + base64.b64encode(b"admin:wrong").decode()
        assert (
            await client.get(f"{XRPC}/{path}", headers={"Authorization": wrong})
        ).status_code == 401


async def test_unknown_repos_are_not_found(client: Any) -> None:
    missing = await client.get(f"{XRPC}/com.atproto.sync.getRepo?did=did:web:nobody.test")
    assert (await json_of(missing))["error"] == "RepoNotFound"


# --- Record and blob takedowns ------------------------------------------------------------


async def test_a_taken_down_record_is_not_found_until_restored(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await hosted(client)
    uri = f"at://{alice.did}/app.bsky.feed.post/{alice.post_rkey}"
    subject = {"$type": "com.atproto.repo.strongRef", "uri": uri, "cid": alice.post_cid}
    collection = f"repo={alice.did}&collection=app.bsky.feed.post"
    get = f"{XRPC}/com.atproto.repo.getRecord?{collection}&rkey={alice.post_rkey}"
    listing = f"{XRPC}/com.atproto.repo.listRecords?{collection}"

    await set_subject(client, admin_headers, subject, takedown={"applied": True, "ref": "r"})
    assert (await json_of(await client.get(get)))["error"] == "RecordNotFound"
    assert (await json_of(await client.get(listing)))["records"] == []
    status = await json_of(
        await client.get(
            f"{XRPC}/com.atproto.admin.getSubjectStatus?uri={uri}", headers=admin_headers
        )
    )
    assert status == {"subject": subject, "takedown": {"applied": True, "ref": "r"}}

    await set_subject(client, admin_headers, subject, takedown={"applied": False})
    assert (await client.get(get)).status_code == 200
    assert len((await json_of(await client.get(listing)))["records"]) == 1
    assert (await Record.get(did=alice.did, rkey=alice.post_rkey)).takedown_ref is None


async def test_a_taken_down_blob_is_not_served_until_restored(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await hosted(client)
    subject = {
        "$type": "com.atproto.admin.defs#repoBlobRef",
        "did": alice.did,
        "cid": alice.blob_cid,
    }
    url = f"{XRPC}/com.atproto.sync.getBlob?did={alice.did}&cid={alice.blob_cid}"
    await set_subject(client, admin_headers, subject, takedown={"applied": True})
    assert (await json_of(await client.get(url)))["error"] == "BlobNotFound"
    blob_status = await client.get(
        f"{XRPC}/com.atproto.admin.getSubjectStatus?did={alice.did}&blob={alice.blob_cid}",
        headers=admin_headers,
    )
    assert (await json_of(blob_status))["takedown"]["applied"] is True

    await set_subject(client, admin_headers, subject, takedown={"applied": False})
    served = await client.get(url)
    assert served.status_code == 200 and await served.get_data() == PNG
    assert (await Blob.get(did=alice.did, cid=alice.blob_cid)).takedown_ref is None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {
                "subject": {"$type": REPO_REF, "did": "did:web:nobody.test"},
                "takedown": {"applied": True},
            },
            "AccountNotFound",
        ),
        (
            {
                "subject": {
                    "$type": "com.atproto.repo.strongRef",
                    "uri": "at://did:web:alice.test/app.bsky.feed.post/none",
                    "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
                },
                "takedown": {"applied": True},
            },
            "NotFound",
        ),
        (
            {
                "subject": {"$type": REPO_REF, "did": "did:web:alice.test"},
                "takedown": {"applied": True, "ref": "x" * 200},
            },
            "InvalidRequest",
        ),
        (
            {
                "subject": {"$type": REPO_REF, "did": "did:web:alice.test"},
                "takedown": {"applied": True},
                "deactivated": {"applied": False},
            },
            "InvalidRequest",
        ),
    ],
)
async def test_update_subject_status_refuses_bad_subjects(
    client: Any, admin_headers: dict[str, str], body: dict[str, Any], error: str
) -> None:
    await new_account(client, "alice.test")
    response = await client.post(
        f"{XRPC}/com.atproto.admin.updateSubjectStatus", json=body, headers=admin_headers
    )
    assert response.status_code == 400
    assert (await json_of(response))["error"] == error
    assert (await Account.get(did="did:web:alice.test")).takedown_ref is None


@pytest.mark.parametrize(
    "query",
    ["", "blob=bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm", "did=did:web:x.test"],
)
async def test_get_subject_status_needs_a_known_subject(
    client: Any, admin_headers: dict[str, str], query: str
) -> None:
    response = await client.get(
        f"{XRPC}/com.atproto.admin.getSubjectStatus?{query}", headers=admin_headers
    )
    assert response.status_code == 400
    assert (await json_of(response))["error"] in ("InvalidRequest", "NotFound")


# --- The firehose -------------------------------------------------------------------------


async def test_the_firehose_announces_takedown_and_restoration(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    before = await RepoEvent.all().count()
    for applied in (True, False):
        await set_subject(
            client,
            admin_headers,
            {"$type": REPO_REF, "did": alice["did"]},
            takedown={"applied": applied},
        )
    seen: list[tuple[str, dict[str, Any]]] = []
    async with client.websocket(
        f"{XRPC}/com.atproto.sync.subscribeRepos?cursor={before}"
    ) as socket:
        while len(seen) < 4:
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                header, body = libipld.decode_dag_cbor_multi(await socket.receive())
            seen.append((header["t"], body))
    assert [kind for kind, _ in seen] == ["#account", "#identity", "#account", "#sync"]
    accounts = [body for kind, body in seen if kind == "#account"]
    assert [(body["did"], body["active"], body.get("status")) for body in accounts] == [
        (alice["did"], False, "takendown"),
        (alice["did"], True, None),
    ]
