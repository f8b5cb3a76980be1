"""An account moves between two servers the way the official clients do it.

The old server runs as a real process, the new one in-process; both use the official
PLC directory (in memory). reserveSigningKey, createAccount with the DID and a service
JWT (the repo gets the reserved key), importRepo, blobs, the PLC operation signed by the
old server and submitted by the new one, then activation here and deactivation there.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
from helpers import bearer

from exprsn_pds.app import get_pds
from exprsn_pds.events.models import RepoEvent

PASSWORD = "moving-house-123"
POST = "app.bsky.feed.post"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
CODE = re.compile(r"\b[A-Z2-7]{5}-[A-Z2-7]{5}\b")
NEW_SERVICE_DID = "did:web:new.test"


def mailed_code(data_directory: Path) -> str:
    [path] = sorted((data_directory / "outbox").glob("*.eml"))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = CODE.search(body.get_content())
    assert found is not None
    return found.group(0)


async def ok(response: Any) -> Any:
    """The JSON body of a 200 answer (``None`` when it has none)."""
    if isinstance(response, httpx.Response):
        body = response.json() if response.content else None
    else:
        body = await response.get_json() if await response.get_data() else None
    assert response.status_code == 200, body
    return body


async def test_an_account_moves_here_from_another_server(
    live_server: Any,
    client_factory: Any,
    settings_factory: Any,
    second_database: dict[str, Any],
    plc_directory: str,
    tmp_path: Path,
) -> None:
    old = await live_server(
        env={"PDS_SERVICE_HANDLE_DOMAINS": ".old.test"}, identity={"did_plc_url": plc_directory}
    )
    new = await client_factory(
        settings_factory(
            server={"data_directory": str(tmp_path / "new"), "service_did": NEW_SERVICE_DID},
            identity={"did_plc_url": plc_directory},
            accounts={"service_handle_domains": [".new.test"]},
            **second_database,
        )
    )
    async with httpx.AsyncClient(base_url=f"{old.url}/xrpc", timeout=30) as there:
        # On the old server: an account with records and a blob.
        alice = await ok(
            await there.post(
                "/com.atproto.server.createAccount",
                json={
                    "handle": "alice.old.test",
                    "email": "alice@example.com",
                    "password": PASSWORD,
                },
            )
        )
        did, old_auth = alice["did"], bearer(alice["accessJwt"])
        assert did.startswith("did:plc:")
        blob = (
            await ok(
                await there.post(
                    "/com.atproto.repo.uploadBlob",
                    content=PNG,
                    headers={**old_auth, "Content-Type": "image/png"},
                )
            )
        )["blob"]
        post = {"$type": POST, "text": "before the move", "createdAt": "2024-01-01T00:00:00Z"}
        with_image = {
            **post,
            "text": "with a picture",
            "embed": {
                "$type": "app.bsky.embed.images",
                "images": [{"alt": "", "image": blob}],
            },
        }
        uris = [
            (
                await ok(
                    await there.post(
                        "/com.atproto.repo.createRecord",
                        json={"repo": did, "collection": POST, "record": record},
                        headers=old_auth,
                    )
                )
            )["uri"]
            for record in (post, with_image)
        ]
        service_jwt = (
            await ok(
                await there.get(
                    "/com.atproto.server.getServiceAuth",
                    params={"aud": NEW_SERVICE_DID, "lxm": "com.atproto.server.createAccount"},
                    headers=old_auth,
                )
            )
        )["token"]

        # Here: a signing key reserved first (a PLC operation can name it before the
        # move); then the account arrives deactivated, with its repo and blobs.
        reserved = (
            await ok(
                await new.post(
                    "/xrpc/com.atproto.server.reserveSigningKey", json={"did": did}
                )
            )
        )["signingKey"]
        created = await ok(
            await new.post(
                "/xrpc/com.atproto.server.createAccount",
                json={
                    "did": did,
                    "handle": "alice.new.test",
                    "email": "alice@example.com",
                    "password": PASSWORD,
                },
                headers=bearer(service_jwt),
            )
        )
        assert created["did"] == did
        new_auth = bearer(created["accessJwt"])
        status = await ok(
            await new.get("/xrpc/com.atproto.server.checkAccountStatus", headers=new_auth)
        )
        assert status["activated"] is False
        assert status["validDid"] is False

        car = (await there.get("/com.atproto.sync.getRepo", params={"did": did})).content
        await ok(
            await new.post(
                "/xrpc/com.atproto.repo.importRepo",
                data=car,
                headers={**new_auth, "Content-Type": "application/vnd.ipld.car"},
            )
        )
        missing = await ok(
            await new.get("/xrpc/com.atproto.repo.listMissingBlobs", headers=new_auth)
        )
        assert [entry["cid"] for entry in missing["blobs"]] == [blob["ref"]["$link"]]
        blob_bytes = (
            await there.get(
                "/com.atproto.sync.getBlob", params={"did": did, "cid": blob["ref"]["$link"]}
            )
        ).content
        await ok(
            await new.post(
                "/xrpc/com.atproto.repo.uploadBlob",
                data=blob_bytes,
                headers={**new_auth, "Content-Type": "image/png"},
            )
        )
        assert (
            await ok(await new.get("/xrpc/com.atproto.repo.listMissingBlobs", headers=new_auth))
        )["blobs"] == []

        # The identity: the old server signs, the new one submits.
        credentials = await ok(
            await new.get(
                "/xrpc/com.atproto.identity.getRecommendedDidCredentials", headers=new_auth
            )
        )
        assert credentials["verificationMethods"]["atproto"] == reserved
        await ok(
            await there.post("/com.atproto.identity.requestPlcOperationSignature", headers=old_auth)
        )
        signed = await ok(
            await there.post(
                "/com.atproto.identity.signPlcOperation",
                json={"token": mailed_code(old.settings.data_directory), **credentials},
                headers=old_auth,
            )
        )
        await ok(
            await new.post(
                "/xrpc/com.atproto.identity.submitPlcOperation",
                json={"operation": signed["operation"]},
                headers=new_auth,
            )
        )

        # Switch over: active here, deactivated there.
        await ok(await new.post("/xrpc/com.atproto.server.activateAccount", headers=new_auth))
        await ok(
            await there.post("/com.atproto.server.deactivateAccount", json={}, headers=old_auth)
        )

    status = await ok(
        await new.get("/xrpc/com.atproto.server.checkAccountStatus", headers=new_auth)
    )
    assert status["activated"] is True
    assert status["validDid"] is True
    assert status["indexedRecords"] == 2
    assert status["expectedBlobs"] == status["importedBlobs"] == 1
    for uri in uris:
        rkey = uri.rsplit("/", 1)[1]
        record = await ok(
            await new.get(
                "/xrpc/com.atproto.repo.getRecord",
                query_string={"repo": did, "collection": POST, "rkey": rkey},
            )
        )
        assert record["uri"] == uri
    async with httpx.AsyncClient() as http:
        document = (await http.get(f"{plc_directory}/{did}")).json()
        data = (await http.get(f"{plc_directory}/{did}/data")).json()
    pds = get_pds(new.app)
    assert document["service"][0]["serviceEndpoint"] == pds.settings.public_url
    assert document["alsoKnownAs"] == ["at://alice.new.test"]
    assert data["verificationMethods"]["atproto"] == reserved
    events = [event.type for event in await RepoEvent.filter(did=did).order_by("seq")]
    assert events == ["identity", "identity", "account", "sync"]
