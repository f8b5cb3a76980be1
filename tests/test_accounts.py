"""Accounts over XRPC: createAccount, sessions, app passwords, lifecycle (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from helpers import bearer

from exprsn_pds.accounts.models import Account, RefreshToken
from exprsn_pds.app import get_pds
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.tokens import ACCESS_TYP, REFRESH_TYP, Scope
from exprsn_pds.tokens import mint as mint_token
from exprsn_pds.tokens import verify as verify_token

SERVER = "/xrpc/com.atproto.server"
PASSWORD = "correct horse battery staple"
POST = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-05-01T12:00:00.000Z"}


async def create_account(client: Any, handle: str = "alice.test", **extra: Any) -> Any:
    body = {"handle": handle, "email": f"{handle.split('.')[0]}@example.com", "password": PASSWORD}
    return await client.post(f"{SERVER}.createAccount", json={**body, **extra})


async def login(client: Any, identifier: str, password: str = PASSWORD) -> Any:
    return await client.post(
        f"{SERVER}.createSession", json={"identifier": identifier, "password": password}
    )


async def json_of(response: Any) -> dict[str, Any]:
    return dict(await response.get_json())


async def new_account(client: Any, handle: str = "alice.test") -> dict[str, Any]:
    response = await create_account(client, handle)
    body = await json_of(response)
    assert response.status_code == 200, body
    return body


def claims(client: Any, token: str, typ: str = ACCESS_TYP) -> Any:
    settings = get_pds(client.app).settings
    scopes = frozenset(Scope)
    return verify_token(
        token, secret=settings.jwt_secret, audience=settings.service_did, typ=typ, scopes=scopes
    )


# --- createAccount ---------------------------------------------------------------------------


async def test_create_account_makes_repo_session_and_events_in_order(client: Any) -> None:
    body = await new_account(client)
    assert body["handle"] == "alice.test"
    assert body["did"] == "did:web:alice.test"
    assert body["didDoc"]["id"] == body["did"]
    assert claims(client, body["accessJwt"]).scope is Scope.ACCESS
    assert claims(client, body["refreshJwt"], REFRESH_TYP).scope is Scope.REFRESH

    session = await json_of(
        await client.get(f"{SERVER}.getSession", headers=bearer(body["accessJwt"]))
    )
    assert session["did"] == body["did"]
    assert session["email"] == "alice@example.com"
    assert session["emailConfirmed"] is False
    assert session["active"] is True

    events = await RepoEvent.filter(did=body["did"]).order_by("seq")
    assert [event.type for event in events] == ["identity", "account", "commit"]
    latest = await client.get(f"/xrpc/com.atproto.sync.getLatestCommit?did={body['did']}")
    assert latest.status_code == 200


@pytest.mark.parametrize(
    ("handle", "error"),
    [
        ("not a handle", "InvalidRequest"),
        ("ab.test", "InvalidHandle"),
        ("a-name-that-is-far-too-long.test", "InvalidHandle"),
        ("alice.bob.test", "InvalidHandle"),
        ("alice.example.com", "UnsupportedDomain"),
    ],
)
async def test_create_account_refuses_bad_handles(client: Any, handle: str, error: str) -> None:
    response = await create_account(client, handle, email="x@example.com")
    assert response.status_code == 400
    assert (await json_of(response))["error"] == error
    assert await Account.all().count() == 0


async def test_create_account_refuses_taken_handle_and_email(client: Any) -> None:
    await new_account(client)
    taken = await create_account(client, "ALICE.test", email="other@example.com")
    assert taken.status_code == 400
    assert (await json_of(taken))["error"] == "HandleNotAvailable"
    same_email = await create_account(client, "alice2.test", email="Alice@example.com")
    assert same_email.status_code == 400
    assert "Email already taken" in (await json_of(same_email))["message"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"password": "short"}, "at least"),
        ({"password": "x" * 257}, "too long"),
        ({"email": "not-an-address"}, "email"),
    ],
)
async def test_create_account_checks_password_and_email(
    client: Any, extra: dict[str, Any], message: str
) -> None:
    response = await create_account(client, **extra)
    assert response.status_code == 400
    assert message in (await json_of(response))["message"]
    assert await Account.all().count() == 0


async def test_invite_codes_are_required_and_spent(
    client_factory: Any, settings_factory: Any, admin_headers: dict[str, str]
) -> None:
    client = await client_factory(settings_factory(accounts={"invite_required": True}))
    missing = await create_account(client)
    assert (await json_of(missing))["error"] == "InvalidInviteCode"
    unknown = await create_account(client, inviteCode="no-such-code")
    assert (await json_of(unknown))["error"] == "InvalidInviteCode"

    from exprsn_pds.accounts.invites import create_codes

    [code] = await create_codes("localhost", for_account="admin", uses=1)
    assert (await create_account(client, inviteCode=code)).status_code == 200
    again = await create_account(client, "bob.test", email="bob@example.com", inviteCode=code)
    assert (await json_of(again))["error"] == "InvalidInviteCode"


# --- Sessions --------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["alice.test", "ALICE.TEST", "alice@example.com", "did"])
async def test_create_session_by_handle_email_or_did(client: Any, identifier: str) -> None:
    account = await new_account(client)
    response = await login(client, account["did"] if identifier == "did" else identifier)
    body = await json_of(response)
    assert response.status_code == 200, body
    assert body["did"] == account["did"]
    assert body["active"] is True
    assert claims(client, body["accessJwt"]).did == account["did"]


async def test_wrong_password_and_unknown_account_fail_alike(client: Any) -> None:
    await new_account(client)
    wrong = await login(client, "alice.test", "wrong password")
    unknown = await login(client, "nobody.test")
    assert wrong.status_code == unknown.status_code == 401
    assert await json_of(wrong) == await json_of(unknown)


async def test_refresh_rotates_with_grace_and_delete_revokes(client: Any) -> None:
    account = await new_account(client)
    first = account["refreshJwt"]
    refreshed = await client.post(f"{SERVER}.refreshSession", headers=bearer(first))
    body = await json_of(refreshed)
    assert refreshed.status_code == 200, body
    assert body["handle"] == "alice.test"
    second = body["refreshJwt"]
    assert claims(client, second, REFRESH_TYP).jti != claims(client, first, REFRESH_TYP).jti

    # A retry within the grace period gets the same successor.
    retried = await json_of(await client.post(f"{SERVER}.refreshSession", headers=bearer(first)))
    assert (
        claims(client, retried["refreshJwt"], REFRESH_TYP).jti
        == claims(client, second, REFRESH_TYP).jti
    )

    deleted = await client.post(f"{SERVER}.deleteSession", headers=bearer(second))
    assert deleted.status_code == 200
    revoked = await client.post(f"{SERVER}.refreshSession", headers=bearer(second))
    assert revoked.status_code == 400
    assert (await json_of(revoked))["error"] == "ExpiredToken"


async def test_used_refresh_token_dies_after_grace(
    client_factory: Any, settings_factory: Any
) -> None:
    client = await client_factory(settings_factory(accounts={"refresh_grace_s": 0}))
    account = await new_account(client)
    first = account["refreshJwt"]
    assert (await client.post(f"{SERVER}.refreshSession", headers=bearer(first))).status_code == 200
    reused = await client.post(f"{SERVER}.refreshSession", headers=bearer(first))
    assert reused.status_code == 400
    assert (await json_of(reused))["error"] == "ExpiredToken"


async def test_token_kinds_cannot_stand_in_for_each_other(client: Any) -> None:
    account = await new_account(client)
    as_access = await client.get(f"{SERVER}.getSession", headers=bearer(account["refreshJwt"]))
    assert as_access.status_code == 401
    as_refresh = await client.post(f"{SERVER}.refreshSession", headers=bearer(account["accessJwt"]))
    assert as_refresh.status_code == 401


async def test_forged_and_expired_access_tokens_fail(client: Any) -> None:
    account = await new_account(client)
    settings = get_pds(client.app).settings
    forged = mint_token(
        secret="another-secret-" + "y" * 32,
        did=account["did"],
        audience=settings.service_did,
        scope=Scope.ACCESS,
        ttl_s=60,
        typ=ACCESS_TYP,
    )
    response = await client.get(f"{SERVER}.getSession", headers=bearer(forged))
    assert response.status_code == 401
    expired = mint_token(
        secret=settings.jwt_secret,
        did=account["did"],
        audience=settings.service_did,
        scope=Scope.ACCESS,
        ttl_s=60,
        typ=ACCESS_TYP,
        now=time.time() - 3600,
    )
    response = await client.get(f"{SERVER}.getSession", headers=bearer(expired))
    assert response.status_code == 400
    assert (await json_of(response))["error"] == "ExpiredToken"


async def test_refresh_tokens_are_stored_server_side(client: Any) -> None:
    account = await new_account(client)
    jti = claims(client, account["refreshJwt"], REFRESH_TYP).jti
    assert await RefreshToken.exists(id=jti, did=account["did"])


# --- App passwords ---------------------------------------------------------------------------


async def test_app_password_sessions_have_reduced_rights(client: Any) -> None:
    account = await new_account(client)
    full = bearer(account["accessJwt"])
    created = await client.post(
        f"{SERVER}.createAppPassword", json={"name": "my app"}, headers=full
    )
    app_password = await json_of(created)
    assert created.status_code == 200, app_password
    assert re.fullmatch(
        r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", app_password["password"]
    )
    assert app_password["privileged"] is False

    session = await json_of(await login(client, "alice.test", app_password["password"]))
    assert claims(client, session["accessJwt"]).scope is Scope.APP_PASS
    limited = bearer(session["accessJwt"])
    for method, body in [
        ("createAppPassword", {"name": "another"}),
        ("revokeAppPassword", {"name": "my app"}),
        ("deactivateAccount", {}),
    ]:
        refused = await client.post(f"{SERVER}.{method}", json=body, headers=limited)
        assert refused.status_code == 401, method
    assert (await client.get(f"{SERVER}.listAppPasswords", headers=limited)).status_code == 401
    own = await json_of(await client.get(f"{SERVER}.getSession", headers=limited))
    assert "email" not in own

    # App-password sessions still write records.
    write = await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={"repo": account["did"], "collection": POST["$type"], "record": POST},
        headers=limited,
    )
    assert write.status_code == 200

    listed = await json_of(await client.get(f"{SERVER}.listAppPasswords", headers=full))
    assert [p["name"] for p in listed["passwords"]] == ["my app"]
    assert "password" not in listed["passwords"][0]

    revoked = await client.post(
        f"{SERVER}.revokeAppPassword", json={"name": "my app"}, headers=full
    )
    assert revoked.status_code == 200
    assert (await login(client, "alice.test", app_password["password"])).status_code == 401
    refresh = await client.post(f"{SERVER}.refreshSession", headers=bearer(session["refreshJwt"]))
    assert refresh.status_code == 400


async def test_privileged_app_password_gets_privileged_scope(client: Any) -> None:
    account = await new_account(client)
    created = await json_of(
        await client.post(
            f"{SERVER}.createAppPassword",
            json={"name": "admin tool", "privileged": True},
            headers=bearer(account["accessJwt"]),
        )
    )
    session = await json_of(await login(client, "alice.test", created["password"]))
    assert claims(client, session["accessJwt"]).scope is Scope.APP_PASS_PRIVILEGED
    duplicate = await client.post(
        f"{SERVER}.createAppPassword",
        json={"name": "admin tool"},
        headers=bearer(account["accessJwt"]),
    )
    assert duplicate.status_code == 400


# --- Lifecycle -------------------------------------------------------------------------------


async def test_deactivated_account_cannot_write_until_activated(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    record = {"repo": account["did"], "collection": POST["$type"], "record": POST}
    assert (
        await client.post(f"{SERVER}.deactivateAccount", json={}, headers=headers)
    ).status_code == 200
    ended = await client.get(f"{SERVER}.getSession", headers=headers)
    assert (ended.status_code, (await json_of(ended))["error"]) == (401, "InvalidToken")
    relogin = await login(client, account["handle"])
    assert relogin.status_code == 200
    headers = bearer((await json_of(relogin))["accessJwt"])
    refused = await client.post("/xrpc/com.atproto.repo.createRecord", json=record, headers=headers)
    assert refused.status_code == 401
    assert (await json_of(refused))["error"] == "AccountDeactivated"
    session = await json_of(await client.get(f"{SERVER}.getSession", headers=headers))
    assert session["active"] is False
    assert session["status"] == "deactivated"
    status = await json_of(await client.get(f"{SERVER}.checkAccountStatus", headers=headers))
    assert status["activated"] is False

    assert (await client.post(f"{SERVER}.activateAccount", headers=headers)).status_code == 200
    written = await client.post("/xrpc/com.atproto.repo.createRecord", json=record, headers=headers)
    assert written.status_code == 200
    events = await RepoEvent.filter(did=account["did"]).order_by("seq")
    assert [event.type for event in events] == [
        "identity",
        "account",
        "commit",
        "account",
        "identity",
        "account",
        "sync",
        "commit",
    ]


async def test_check_account_status_counts_the_repo(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    record = {"repo": account["did"], "collection": POST["$type"], "record": POST}
    await client.post("/xrpc/com.atproto.repo.createRecord", json=record, headers=headers)
    status = await json_of(await client.get(f"{SERVER}.checkAccountStatus", headers=headers))
    assert status["activated"] is True
    assert status["validDid"] is True
    assert status["indexedRecords"] == 1
    assert status["repoBlocks"] >= 3
    latest = await json_of(
        await client.get(f"/xrpc/com.atproto.sync.getLatestCommit?did={account['did']}")
    )
    assert status["repoCommit"] == latest["cid"]
    assert status["repoRev"] == latest["rev"]


# --- Rate limits -----------------------------------------------------------------------------


async def test_brute_force_login_gets_429(client_factory: Any, settings_factory: Any) -> None:
    client = await client_factory(settings_factory(rate_limits={"enabled": True}))
    await new_account(client)
    answers = [(await login(client, "alice.test", f"guess {n}")).status_code for n in range(31)]
    assert answers[:30] == [401] * 30
    assert answers[30] == 429
    blocked = await login(client, "alice.test")
    assert blocked.status_code == 429
    assert (await json_of(blocked))["error"] == "RateLimitExceeded"
    assert blocked.headers["RateLimit-Policy"] == "30;w=300"
    # Another identifier from the same address is counted apart.
    assert (await login(client, "bob.test", "guess")).status_code == 401
