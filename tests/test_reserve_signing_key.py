"""``com.atproto.server.reserveSigningKey``: a key kept for an account moving here, used
by ``createAccount`` with that DID, sealed at rest, expiring. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from helpers import bearer, stored_leaves

from exprsn_pds.accounts.creation import NewAccount
from exprsn_pds.accounts.reserved_keys import ReservedSigningKey, utc_now
from exprsn_pds.app import get_pds
from exprsn_pds.crypto import KeyringError, parse_did_key
from exprsn_pds.repo.commit import parse_commit

RESERVE = "/xrpc/com.atproto.server.reserveSigningKey"
MOVING_DID = "did:plc:reservedkeytestaaaaaaaaa"


async def reserve(client: Any, body: dict[str, Any]) -> str:
    response = await client.post(RESERVE, json=body)
    assert response.status_code == 200, await response.get_json()
    signing_key: str = (await response.get_json())["signingKey"]
    return signing_key


async def test_reserving_twice_for_a_did_returns_the_same_did_key(client: Any) -> None:
    first = await reserve(client, {"did": MOVING_DID})
    assert parse_did_key(first).curve == "k256"
    assert await reserve(client, {"did": MOVING_DID}) == first
    assert await reserve(client, {"did": "did:plc:someoneelseaaaaaaaaaaaaa"}) != first
    assert await ReservedSigningKey.filter(did=MOVING_DID).count() == 1


async def test_without_a_did_each_key_is_new_and_filed_under_itself(client: Any) -> None:
    first, second = await reserve(client, {}), await reserve(client, {})
    assert first != second
    assert {row.did for row in await ReservedSigningKey.all()} == {first, second}


async def test_a_bad_did_is_a_400(client: Any) -> None:
    for did in ("not-a-did", "did:plc:" + "a" * 3000):
        response = await client.post(RESERVE, json={"did": did})
        assert response.status_code == 400
        assert (await response.get_json())["error"] == "InvalidRequest"
    assert await ReservedSigningKey.all().count() == 0


async def test_the_private_key_is_sealed_at_rest_for_its_did(client: Any) -> None:
    await reserve(client, {"did": MOVING_DID})
    pds = get_pds(client.app)
    key = await pds.reserved_keys.find(pds.repo_writer.keys, MOVING_DID)
    assert key is not None
    row = await ReservedSigningKey.get(did=MOVING_DID)
    stored = bytes(row.signing_key)
    assert key.to_bytes() not in stored
    assert key.to_bytes().hex() not in stored.hex()
    with pytest.raises(KeyringError):
        pds.repo_writer.keys.open("did:plc:someoneelseaaaaaaaaaaaaa", stored, "k256")


async def test_create_account_with_the_did_uses_and_spends_the_reserved_key(
    client: Any,
) -> None:
    reserved = await reserve(client, {"did": MOVING_DID})
    pds = get_pds(client.app)
    brought = NewAccount(
        handle="mover.test", email="mover@example.com", password="moving-123", did=MOVING_DID
    )
    await pds.accounts.create(brought, deactivated=True)

    head, _leaves, reader = await stored_leaves(pds, MOVING_DID)
    commit = parse_commit((await reader.get_blocks([head]))[head])
    assert commit.verify(parse_did_key(reserved))
    tokens = await pds.sessions.create(MOVING_DID)
    credentials = await client.get(
        "/xrpc/com.atproto.identity.getRecommendedDidCredentials",
        headers=bearer(tokens.access_jwt),
    )
    assert (await credentials.get_json())["verificationMethods"]["atproto"] == reserved
    assert not await ReservedSigningKey.exists(did=MOVING_DID)


async def test_a_new_account_without_a_did_ignores_reservations(client: Any) -> None:
    reserved = await reserve(client, {})
    response = await client.post(
        "/xrpc/com.atproto.server.createAccount",
        json={"handle": "fresh.test", "email": "fresh@example.com", "password": "fresh-1234"},
    )
    assert response.status_code == 200
    did = (await response.get_json())["did"]
    head, _leaves, reader = await stored_leaves(get_pds(client.app), did)
    commit = parse_commit((await reader.get_blocks([head]))[head])
    assert not commit.verify(parse_did_key(reserved))
    assert await ReservedSigningKey.exists(did=reserved)


async def test_an_expired_reservation_is_neither_returned_nor_used_and_is_purged(
    client: Any,
) -> None:
    pds = get_pds(client.app)
    old = await reserve(client, {"did": MOVING_DID})
    anonymous = await reserve(client, {})
    ttl = dt.timedelta(seconds=pds.settings.reserved_signing_key_ttl_s)
    pds.reserved_keys.clock = lambda: utc_now() + ttl + dt.timedelta(seconds=1)
    assert await pds.reserved_keys.find(pds.repo_writer.keys, MOVING_DID) is None
    brought = NewAccount(
        handle="late.test", email="late@example.com", password="moving-123", did=MOVING_DID
    )
    await pds.accounts.create(brought, deactivated=True)
    head, _leaves, reader = await stored_leaves(pds, MOVING_DID)
    commit = parse_commit((await reader.get_blocks([head]))[head])
    assert not commit.verify(parse_did_key(old))

    fresh = await reserve(client, {"did": "did:plc:someoneelseaaaaaaaaaaaaa"})
    remaining = {row.did for row in await ReservedSigningKey.all()}
    assert remaining == {"did:plc:someoneelseaaaaaaaaaaaaa"}
    assert anonymous not in remaining and fresh != old


async def test_reserving_is_rate_limited_per_address(
    client_factory: Any, settings_factory: Any
) -> None:
    client = await client_factory(settings_factory(rate_limits={"enabled": True}))
    answers = [(await client.post(RESERVE, json={})).status_code for _ in range(101)]
    assert answers == [200] * 100 + [429]
    blocked = await client.post(RESERVE, json={"did": MOVING_DID})
    assert blocked.headers["RateLimit-Policy"] == "100;w=300"
