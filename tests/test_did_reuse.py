"""No DID is issued twice: a deleted account's DID and tokens stay dead (SQLite, PostgreSQL).

With did:web (no PLC directory configured, as in these tests), a new account's DID comes
from its handle; once that DID was used, a new account gets another one.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import bearer

from exprsn_pds.accounts.creation import NewAccount
from exprsn_pds.accounts.creation import create_account as create_account_here
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.tombstones import DidTombstone
from exprsn_pds.app import get_pds
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.identity.handles import SERVICE_LABEL_MAX_CHARS

SERVER = "/xrpc/com.atproto.server"
PASSWORD = "correct horse battery staple"
POST = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-05-01T12:00:00.000Z"}


async def create_account(client: Any, handle: str, email: str) -> dict[str, Any]:
    response = await client.post(
        f"{SERVER}.createAccount", json={"handle": handle, "email": email, "password": PASSWORD}
    )
    body = dict(await response.get_json())
    assert response.status_code == 200, body
    return body


async def delete_account(client: Any, did: str, admin_headers: dict[str, str]) -> None:
    response = await client.post(
        "/xrpc/com.atproto.admin.deleteAccount", json={"did": did}, headers=admin_headers
    )
    assert response.status_code == 200, await response.get_data()


async def create_post(client: Any, did: str, token: str) -> Any:
    return await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={"repo": did, "collection": "app.bsky.feed.post", "record": POST},
        headers=bearer(token),
    )


async def test_a_stranger_taking_a_deleted_handle_gets_another_did(
    client: Any, admin_headers: dict[str, str]
) -> None:
    victim = await create_account(client, "alice.test", "alice@example.com")
    assert victim["did"] == "did:web:alice.test"
    await delete_account(client, victim["did"], admin_headers)
    stranger = await create_account(client, "alice.test", "stranger@example.com")
    assert stranger["did"] != victim["did"]
    written = await create_post(client, stranger["did"], victim["accessJwt"])
    # Refused by the write verifier: 400 AccountNotFound (the token's account is gone).
    assert written.status_code in (400, 401, 403), await written.get_data()
    assert (await create_post(client, stranger["did"], stranger["accessJwt"])).status_code == 200


async def test_a_deleted_accounts_token_writes_nowhere(
    client: Any, admin_headers: dict[str, str]
) -> None:
    victim = await create_account(client, "alice.test", "alice@example.com")
    await delete_account(client, victim["did"], admin_headers)
    await create_account(client, "alice.test", "stranger@example.com")
    response = await create_post(client, victim["did"], victim["accessJwt"])
    assert response.status_code in (400, 401, 403), await response.get_data()
    session = await client.get(f"{SERVER}.getSession", headers=bearer(victim["accessJwt"]))
    assert session.status_code in (400, 401, 403)


async def test_deletion_leaves_a_tombstone_and_its_did_is_never_issued_again(
    client: Any, admin_headers: dict[str, str]
) -> None:
    first = await create_account(client, "alice.test", "alice@example.com")
    await delete_account(client, first["did"], admin_headers)
    assert await DidTombstone.exists(did=first["did"])
    second = await create_account(client, "alice.test", "alice2@example.com")
    await delete_account(client, second["did"], admin_headers)
    third = await create_account(client, "alice.test", "alice3@example.com")
    assert len({first["did"], second["did"], third["did"]}) == 3
    assert await DidTombstone.filter(did__in=[first["did"], second["did"]]).count() == 2


async def test_a_derived_did_web_is_under_the_service_domain_and_no_handle_can_claim_it(
    client: Any, admin_headers: dict[str, str]
) -> None:
    first = await create_account(client, "alice.test", "alice@example.com")
    await delete_account(client, first["did"], admin_headers)
    second = await create_account(client, "alice.test", "alice2@example.com")
    host = second["did"].removeprefix("did:web:")
    label, _, domain = host.partition(".")
    assert domain == "test" and label.startswith("alice-")
    assert len(label) > SERVICE_LABEL_MAX_CHARS
    document = await client.get("/.well-known/did.json", headers={"Host": host})
    assert document.status_code == 200
    assert (await document.get_json())["id"] == second["did"]


async def test_a_renamed_accounts_old_handle_is_free_for_a_new_did(client: Any) -> None:
    alice = await create_account(client, "alice.test", "alice@example.com")
    renamed = await client.post(
        "/xrpc/com.atproto.identity.updateHandle",
        json={"handle": "alicia.test"},
        headers=bearer(alice["accessJwt"]),
    )
    assert renamed.status_code == 200, await renamed.get_data()
    newcomer = await create_account(client, "alice.test", "newcomer@example.com")
    assert newcomer["did"] not in (alice["did"], "did:web:alice.test")
    resolved = await client.get(
        "/xrpc/com.atproto.identity.resolveHandle", query_string={"handle": "alice.test"}
    )
    assert (await resolved.get_json())["did"] == newcomer["did"]
    assert (await create_post(client, alice["did"], alice["accessJwt"])).status_code == 200


async def test_a_tombstoned_did_cannot_be_brought_back(
    client: Any, admin_headers: dict[str, str]
) -> None:
    victim = await create_account(client, "alice.test", "alice@example.com")
    await delete_account(client, victim["did"], admin_headers)
    brought = NewAccount(
        handle="alice.test", email="alice@example.com", password=PASSWORD, did=victim["did"]
    )
    with pytest.raises(InvalidRequest, match="deleted"):
        await create_account_here(get_pds(client.app), brought, deactivated=True)
    assert not await Account.exists(did=victim["did"])
