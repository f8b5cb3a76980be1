"""Access tokens stop working when their session ends, on every process.

Each trigger runs on SQLite with the in-process cache and on PostgreSQL with Redis; a
second server sharing that Redis (and database) refuses the token too.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import bearer

from exprsn_pds.accounts.models import RefreshToken
from exprsn_pds.accounts.revocation import (
    SESSION_KEY_PREFIX,
    UNNAMED_KEY_PREFIX,
    TokenRevocations,
)
from exprsn_pds.app import get_pds
from exprsn_pds.cache import Cache
from exprsn_pds.plugins.mailer.outbox import OutboxMailer
from exprsn_pds.tokens import ACCESS_TYP, Scope, TokenClaims, mint, verify

SERVER = "/xrpc/com.atproto.server"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long password"
POST = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-05-01T12:00:00.000Z"}
TOKEN = re.compile(r"\b[A-Z2-7]{5}-[A-Z2-7]{5}\b")
TTL_S = 3600
SECRET = "a test secret of at least 32 bytes"


async def ok(response: Any) -> dict[str, Any]:
    body = await response.get_json()
    assert response.status_code == 200, body
    return dict(body or {})


async def create_account(client: Any, handle: str = "alice.test") -> dict[str, Any]:
    body = {"handle": handle, "email": f"{handle.split('.')[0]}@example.com", "password": PASSWORD}
    return await ok(await client.post(f"{SERVER}.createAccount", json=body))


async def login(client: Any, identifier: str, password: str = PASSWORD) -> dict[str, Any]:
    body = {"identifier": identifier, "password": password}
    return await ok(await client.post(f"{SERVER}.createSession", json=body))


async def works(client: Any, session: dict[str, Any]) -> bool:
    """Whether ``session``'s access token still gets its session; 401 InvalidToken if not."""
    response = await client.get(f"{SERVER}.getSession", headers=bearer(session["accessJwt"]))
    if response.status_code == 200:
        return True
    assert response.status_code == 401, await response.get_data()
    assert (await response.get_json())["error"] == "InvalidToken"
    return False


async def writes(client: Any, session: dict[str, Any]) -> int:
    response = await client.post(
        "/xrpc/com.atproto.repo.createRecord",
        json={"repo": session["did"], "collection": POST["$type"], "record": POST},
        headers=bearer(session["accessJwt"]),
    )
    return int(response.status_code)


def mailed_code(client: Any) -> str:
    mailer = get_pds(client.app).mailer
    assert isinstance(mailer, OutboxMailer)
    newest = message_from_bytes(mailer.messages()[-1].read_bytes(), policy=policy.default)
    assert isinstance(newest, EmailMessage)
    part = newest.get_body(preferencelist=("plain",))
    assert part is not None
    found = TOKEN.search(str(part.get_content()))
    assert found is not None
    return found.group()


async def test_delete_session_revokes_that_sessions_access_tokens_only(client: Any) -> None:
    first = await create_account(client)
    second = await login(client, "alice.test")
    refreshed = await ok(
        await client.post(f"{SERVER}.refreshSession", headers=bearer(first["refreshJwt"]))
    )
    await ok(await client.post(f"{SERVER}.deleteSession", headers=bearer(refreshed["refreshJwt"])))
    assert not await works(client, first)
    assert not await works(client, refreshed)
    assert await writes(client, first) == 401
    assert await works(client, second)
    assert await writes(client, second) == 200


async def test_a_password_reset_revokes_every_access_token(client: Any) -> None:
    first = await create_account(client)
    second = await login(client, "alice.test")
    await ok(
        await client.post(f"{SERVER}.requestPasswordReset", json={"email": "alice@example.com"})
    )
    reset = {"token": mailed_code(client), "password": NEW_PASSWORD}
    await ok(await client.post(f"{SERVER}.resetPassword", json=reset))
    assert not await works(client, first)
    assert not await works(client, second)
    assert await works(client, await login(client, "alice.test", NEW_PASSWORD))


async def test_an_admin_password_change_revokes_every_access_token(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await create_account(client)
    await ok(
        await client.post(
            "/xrpc/com.atproto.admin.updateAccountPassword",
            json={"did": alice["did"], "password": NEW_PASSWORD},
            headers=admin_headers,
        )
    )
    assert not await works(client, alice)
    assert await works(client, await login(client, "alice.test", NEW_PASSWORD))


async def test_revoking_an_app_password_revokes_only_its_sessions(client: Any) -> None:
    alice = await create_account(client)
    created = await ok(
        await client.post(
            f"{SERVER}.createAppPassword", json={"name": "app"}, headers=bearer(alice["accessJwt"])
        )
    )
    app = await login(client, "alice.test", created["password"])
    assert await works(client, app)
    await ok(
        await client.post(
            f"{SERVER}.revokeAppPassword", json={"name": "app"}, headers=bearer(alice["accessJwt"])
        )
    )
    assert not await works(client, app)
    assert await writes(client, app) == 401
    assert await works(client, alice)


async def test_deactivation_ends_the_sessions_and_a_new_login_reactivates(client: Any) -> None:
    alice = await create_account(client)
    await ok(
        await client.post(
            f"{SERVER}.deactivateAccount", json={}, headers=bearer(alice["accessJwt"])
        )
    )
    assert not await works(client, alice)
    again = await login(client, "alice.test")
    await ok(await client.post(f"{SERVER}.activateAccount", headers=bearer(again["accessJwt"])))
    assert await writes(client, again) == 200


async def test_deletion_revokes_every_access_token(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await create_account(client)
    other = await login(client, "alice.test")
    await ok(
        await client.post(
            "/xrpc/com.atproto.admin.deleteAccount",
            json={"did": alice["did"]},
            headers=admin_headers,
        )
    )
    assert not await works(client, alice)
    assert not await works(client, other)


async def test_a_second_server_sharing_redis_sees_the_revocation(
    live_server: Any, client_factory: Any, backend_config: dict[str, Any], tmp_path: Path
) -> None:
    if "redis" not in backend_config:
        pytest.skip("the in-process cache is one process's")
    shared = tmp_path / "shared-redis.toml"
    shared.write_text(f'[redis]\nkey_prefix = "{backend_config["redis"]["key_prefix"]}"\n')
    server = await live_server(
        env={"PDS_CONFIG": str(shared), "PDS_REVOCATION_CHECK_INTERVAL_S": "0"}
    )
    client = await client_factory()
    alice = await create_account(client)
    async with httpx.AsyncClient(base_url=server.url) as other:
        before = await other.get(f"{SERVER}.getSession", headers=bearer(alice["accessJwt"]))
        assert before.status_code == 200, before.text
        await ok(await client.post(f"{SERVER}.deleteSession", headers=bearer(alice["refreshJwt"])))
        after = await other.get(f"{SERVER}.getSession", headers=bearer(alice["accessJwt"]))
        assert (after.status_code, after.json()["error"]) == (401, "InvalidToken")


async def test_tokens_without_a_session_id_are_revoked_with_their_account(cache: Cache) -> None:
    revocations = TokenRevocations(TTL_S, check_interval_s=0)
    revocations.open(cache)
    unnamed = TokenClaims(did="did:plc:alice", scope=Scope.ACCESS, jti=None, expires_at=0, raw={})
    named = TokenClaims(
        did="did:plc:alice", scope=Scope.ACCESS, jti=None, expires_at=0, raw={}, session_id="s1"
    )
    other = TokenClaims(
        did="did:plc:bob", scope=Scope.ACCESS, jti=None, expires_at=0, raw={}, session_id="s2"
    )
    assert not await revocations.is_revoked(unnamed)
    await revocations.revoke("did:plc:alice", ["s1"])
    assert await revocations.is_revoked(unnamed) and await revocations.is_revoked(named)
    assert not await revocations.is_revoked(other)
    assert await cache.get(UNNAMED_KEY_PREFIX + "did:plc:alice") is not None


def test_access_and_refresh_tokens_name_their_session() -> None:
    token = mint(
        secret=SECRET,
        did="did:plc:alice",
        audience="did:web:pds.test",
        scope=Scope.ACCESS,
        ttl_s=TTL_S,
        typ=ACCESS_TYP,
        session_id="session-1",
    )
    claims = verify(
        token, secret=SECRET, audience="did:web:pds.test", typ=ACCESS_TYP, scopes=frozenset(Scope)
    )
    assert claims.session_id == "session-1" and claims.raw["sid"] == "session-1"


async def test_another_process_sees_a_revocation_within_the_check_interval(
    cache_factory: Any,
) -> None:
    now = [0.0]
    here = TokenRevocations(TTL_S, check_interval_s=1.0, clock=lambda: now[0])
    there = TokenRevocations(TTL_S, check_interval_s=1.0, clock=lambda: now[0])
    shared = cache_factory("shared:")
    here.open(shared)
    there.open(shared)
    claims = TokenClaims(
        did="did:plc:alice", scope=Scope.ACCESS, jti=None, expires_at=0, raw={}, session_id="s1"
    )
    assert not await here.is_revoked(claims)
    assert not await there.is_revoked(claims)
    await there.revoke("did:plc:alice", ["s1"])
    assert await there.is_revoked(claims)
    assert not await here.is_revoked(claims)
    now[0] = 1.0
    assert await here.is_revoked(claims)


def session_claims(session_id: str) -> TokenClaims:
    return TokenClaims(
        did="did:plc:alice",
        scope=Scope.ACCESS,
        jti=None,
        expires_at=0,
        raw={},
        session_id=session_id,
    )


async def test_remembered_answers_are_bounded_least_recently_checked_first(cache: Cache) -> None:
    revocations = TokenRevocations(TTL_S, check_interval_s=TTL_S, remembered_max=2)
    revocations.open(cache)
    assert not await revocations.is_revoked(session_claims("s1"))
    assert not await revocations.is_revoked(session_claims("s2"))
    for session_id in ("s1", "s2"):  # revoked by another process: unseen while remembered
        await cache.set(SESSION_KEY_PREFIX + session_id, b"1", ttl_s=TTL_S)
    assert not await revocations.is_revoked(session_claims("s1"))
    assert not await revocations.is_revoked(session_claims("s3"))  # s2 forgotten, s1 kept
    assert await revocations.is_revoked(session_claims("s2"))
    assert not await revocations.is_revoked(session_claims("s1"))


async def test_a_refresh_racing_the_end_of_its_session_does_not_revive_it(client: Any) -> None:
    alice = await create_account(client)
    sessions = get_pds(client.app).sessions
    [stored] = await RefreshToken.filter(did=alice["did"])
    # The session ends on another process while its refresh token row is still read here.
    await sessions.revocations.revoke(alice["did"], [str(stored.session_id)])
    assert await sessions.rotate(stored.id) is None
    assert not await RefreshToken.filter(did=alice["did"]).exists()
