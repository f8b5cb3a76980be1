"""Service auth: minting and verifying inter-service JWTs, and ``getServiceAuth``.

The XRPC tests run on SQLite + in-process cache and on PostgreSQL + Redis.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from exprsn_pds import XrpcContext, XrpcRegistrar, hookimpl
from exprsn_pds.app import get_pds
from exprsn_pds.auth import service_auth
from exprsn_pds.crypto import PrivateKey, PublicKey
from exprsn_pds.service_auth import (
    ServiceJwtError,
    mint_service_jwt,
    verify_service_jwt,
)
from exprsn_pds.tokens import ACCESS_TYP, Scope
from exprsn_pds.tokens import mint as mint_token

ISS = "did:plc:issuerissuerissuerissuer"
AUD = "did:web:service.test"
LXM = "com.example.test.method"
PROTECTED_METHOD_NSID = "com.atproto.identity.updateHandle"
SERVICE_METHOD = "com.example.test.serviceAuthed"
SERVICE_LEXICON: dict[str, Any] = {
    "lexicon": 1,
    "id": SERVICE_METHOD,
    "defs": {
        "main": {
            "type": "query",
            "output": {
                "encoding": "application/json",
                "schema": {
                    "type": "object",
                    "required": ["activated"],
                    "properties": {"activated": {"type": "boolean"}},
                },
            },
        }
    },
}


def lookup(key: PublicKey | None) -> Callable[[str, bool], Awaitable[PublicKey | None]]:
    async def get_key(iss: str, force_refresh: bool) -> PublicKey | None:
        return key

    return get_key


async def verify(token: str, key: PublicKey | None, **checks: Any) -> Any:
    options: dict[str, Any] = {"audience": AUD, "lxm": LXM, **checks}
    return await verify_service_jwt(token, get_key=lookup(key), **options)


def b64_json(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


# --- Minting and verifying --------------------------------------------------------------------


async def test_a_minted_token_verifies_with_the_issuers_key() -> None:
    key = PrivateKey.generate("k256")
    token = mint_service_jwt(key=key, iss=ISS, aud=AUD, lxm=LXM)
    claims = await verify(token, key.public_key())
    assert (claims.iss, claims.aud, claims.lxm, claims.did) == (ISS, AUD, LXM, ISS)
    assert claims.jti


async def test_the_header_is_es256k_jwt_and_the_claims_are_complete() -> None:
    key = PrivateKey.generate("k256")
    header, payload, signature = mint_service_jwt(
        key=key, iss=ISS, aud=AUD, lxm=LXM, now=1000
    ).split(".")
    assert b64_json(header) == {"typ": "JWT", "alg": "ES256K"}
    claims = b64_json(payload)
    assert (claims["iat"], claims["exp"]) == (1000, 1060)
    assert set(claims) == {"iat", "iss", "aud", "exp", "lxm", "jti"}
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64


async def test_a_p256_token_is_accepted_as_es256() -> None:
    key = PrivateKey.generate("p256")
    token = mint_service_jwt(key=key, iss=ISS, aud=AUD, lxm=LXM)
    assert b64_json(token.split(".")[0])["alg"] == "ES256"
    assert (await verify(token, key.public_key())).iss == ISS


@pytest.mark.parametrize(
    ("checks", "mint", "error"),
    [
        ({}, {"exp": int(time.time()) - 1}, "JwtExpired"),
        ({"audience": "did:web:other.test"}, {}, "BadJwtAudience"),
        ({"lxm": "com.example.other"}, {}, "BadJwtLexiconMethod"),
        ({}, {"lxm": None}, "BadJwtLexiconMethod"),
        ({}, {"iss": "not-a-did"}, "BadJwtIss"),
        ({}, {"exp": int(time.time()) + 24 * 3600}, "BadJwt"),
    ],
)
async def test_a_token_that_breaks_a_rule_is_refused(
    checks: dict[str, Any], mint: dict[str, Any], error: str
) -> None:
    key = PrivateKey.generate("k256")
    token = mint_service_jwt(key=key, **{"iss": ISS, "aud": AUD, "lxm": LXM, **mint})
    with pytest.raises(ServiceJwtError) as raised:
        await verify(token, key.public_key(), **checks)
    assert raised.value.error == error


async def test_a_token_signed_by_another_key_is_refused() -> None:
    token = mint_service_jwt(key=PrivateKey.generate("k256"), iss=ISS, aud=AUD, lxm=LXM)
    with pytest.raises(ServiceJwtError) as raised:
        await verify(token, PrivateKey.generate("k256").public_key())
    assert raised.value.error == "BadJwtSignature"


async def test_a_changed_payload_breaks_the_signature() -> None:
    key = PrivateKey.generate("k256")
    header, _, signature = mint_service_jwt(key=key, iss=ISS, aud=AUD, lxm=LXM).split(".")
    forged_claims = {"iss": ISS, "aud": AUD, "lxm": LXM, "exp": int(time.time()) + 60}
    forged = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("=")
    with pytest.raises(ServiceJwtError) as raised:
        await verify(f"{header}.{forged}.{signature}", key.public_key())
    assert raised.value.error == "BadJwtSignature"


async def test_a_high_s_signature_is_refused() -> None:
    key = PrivateKey.generate("k256")
    header, payload, signature = mint_service_jwt(key=key, iss=ISS, aud=AUD, lxm=LXM).split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = raw[:32] + (order - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
    encoded = base64.urlsafe_b64encode(high_s).decode().rstrip("=")
    with pytest.raises(ServiceJwtError) as raised:
        await verify(f"{header}.{payload}.{encoded}", key.public_key())
    assert raised.value.error == "BadJwtSignature"


async def test_a_key_of_the_other_curve_than_alg_is_refused() -> None:
    key = PrivateKey.generate("k256")
    _, payload, signature = mint_service_jwt(key=key, iss=ISS, aud=AUD, lxm=LXM).split(".")
    es256 = base64.urlsafe_b64encode(b'{"typ":"JWT","alg":"ES256"}').decode().rstrip("=")
    with pytest.raises(ServiceJwtError) as raised:
        await verify(f"{es256}.{payload}.{signature}", key.public_key())
    assert raised.value.error == "BadJwtSignature"


async def test_a_session_token_type_is_not_a_service_token() -> None:
    key = PrivateKey.generate("k256")
    _, payload, signature = mint_service_jwt(key=key, iss=ISS, aud=AUD, lxm=LXM).split(".")
    at_jwt = base64.urlsafe_b64encode(b'{"typ":"at+jwt","alg":"ES256K"}').decode().rstrip("=")
    with pytest.raises(ServiceJwtError) as raised:
        await verify(f"{at_jwt}.{payload}.{signature}", key.public_key())
    assert raised.value.error == "BadJwtType"


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "e30.e30.AA"])
async def test_garbage_is_a_bad_jwt(token: str) -> None:
    with pytest.raises(ServiceJwtError) as raised:
        await verify(token, None)
    assert raised.value.error == "BadJwt"


async def test_a_rotated_key_is_looked_up_again_fresh() -> None:
    old, new = PrivateKey.generate("k256"), PrivateKey.generate("k256")
    token = mint_service_jwt(key=new, iss=ISS, aud=AUD, lxm=LXM)
    calls: list[bool] = []

    async def get_key(iss: str, force_refresh: bool) -> PublicKey:
        calls.append(force_refresh)
        return (new if force_refresh else old).public_key()

    claims = await verify_service_jwt(token, audience=AUD, lxm=LXM, get_key=get_key)
    assert claims.iss == ISS and calls == [False, True]


# --- Over XRPC ---------------------------------------------------------------------------------


class ServiceAuthedPlugin:
    """Serves a test query behind the service-auth verifier."""

    @hookimpl
    def pds_register_lexicons(self, register: Any) -> None:
        register.add_document(SERVICE_LEXICON)

    @hookimpl
    def pds_register_xrpc(self, registry: XrpcRegistrar) -> None:
        registry.add(SERVICE_METHOD, self.answer, auth=service_auth())

    async def answer(self, ctx: XrpcContext) -> dict[str, Any]:
        assert ctx.auth is not None
        return {"activated": ctx.auth.did == ctx.auth.claims["iss"]}


@pytest.fixture
async def client(client_factory: Callable[..., Awaitable[Any]]) -> Any:
    return await client_factory(extra_plugins=[("service_authed", ServiceAuthedPlugin())])


async def get_service_auth(client: Any, headers: dict[str, str], **params: Any) -> Any:
    return await client.get(
        "/xrpc/com.atproto.server.getServiceAuth", query_string=params, headers=headers
    )


def app_password_headers(client: Any, did: str, scope: Scope) -> dict[str, str]:
    pds = get_pds(client.app)
    token = mint_token(
        secret=pds.settings.jwt_secret,
        did=did,
        audience=pds.settings.service_did,
        scope=scope,
        ttl_s=3600,
        typ=ACCESS_TYP,
    )
    return {"Authorization": f"Bearer {token}"}


async def test_get_service_auth_signs_with_the_repo_key(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    response = await get_service_auth(client, alice.headers, aud=AUD, lxm=LXM)
    assert response.status_code == 200
    token = (await response.get_json())["token"]
    claims = await verify(token, alice.key.public_key())
    assert (claims.iss, claims.aud, claims.lxm) == (alice.did, AUD, LXM)


async def test_our_own_token_passes_our_service_auth_verifier(
    client: Any, account_factory: Any
) -> None:
    alice = await account_factory(client, "alice.test")
    pds = get_pds(client.app)
    response = await get_service_auth(
        client, alice.headers, aud=pds.settings.service_did, lxm=SERVICE_METHOD
    )
    token = (await response.get_json())["token"]
    answer = await client.get(
        f"/xrpc/{SERVICE_METHOD}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, await answer.get_json()
    assert (await answer.get_json())["activated"] is True


@pytest.mark.parametrize(
    ("aud", "lxm", "error"),
    [
        ("did:web:elsewhere.test", SERVICE_METHOD, "BadJwtAudience"),
        (None, "com.example.other", "BadJwtLexiconMethod"),
    ],
)
async def test_the_verifier_refuses_a_misdirected_token(
    client: Any, account_factory: Any, aud: str | None, lxm: str, error: str
) -> None:
    alice = await account_factory(client, "alice.test")
    pds = get_pds(client.app)
    response = await get_service_auth(
        client, alice.headers, aud=aud or pds.settings.service_did, lxm=lxm
    )
    token = (await response.get_json())["token"]
    answer = await client.get(
        f"/xrpc/{SERVICE_METHOD}", headers={"Authorization": f"Bearer {token}"}
    )
    assert (answer.status_code, (await answer.get_json())["error"]) == (401, error)


async def test_the_verifier_refuses_a_token_not_signed_by_the_issuers_key(
    client: Any, account_factory: Any
) -> None:
    alice = await account_factory(client, "alice.test")
    pds = get_pds(client.app)
    forged = mint_service_jwt(
        key=PrivateKey.generate("k256"),
        iss=alice.did,
        aud=pds.settings.service_did,
        lxm=SERVICE_METHOD,
    )
    answer = await client.get(
        f"/xrpc/{SERVICE_METHOD}", headers={"Authorization": f"Bearer {forged}"}
    )
    assert (answer.status_code, (await answer.get_json())["error"]) == (401, "BadJwtSignature")


async def test_the_verifier_refuses_an_expired_token(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    pds = get_pds(client.app)
    expired = mint_service_jwt(
        key=alice.key,
        iss=alice.did,
        aud=pds.settings.service_did,
        lxm=SERVICE_METHOD,
        now=time.time() - 120,
    )
    answer = await client.get(
        f"/xrpc/{SERVICE_METHOD}", headers={"Authorization": f"Bearer {expired}"}
    )
    assert (answer.status_code, (await answer.get_json())["error"]) == (401, "JwtExpired")


async def test_a_protected_method_is_refused(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    response = await get_service_auth(client, alice.headers, aud=AUD, lxm=PROTECTED_METHOD_NSID)
    body = await response.get_json()
    assert response.status_code == 400
    assert "protected method" in body["message"]


async def test_an_app_password_cannot_get_a_token_for_a_privileged_method(
    client: Any, account_factory: Any
) -> None:
    alice = await account_factory(client, "alice.test")
    lxm = "com.atproto.server.createAccount"
    plain = app_password_headers(client, alice.did, Scope.APP_PASS)
    privileged = app_password_headers(client, alice.did, Scope.APP_PASS_PRIVILEGED)
    refused = await get_service_auth(client, plain, aud=AUD, lxm=lxm)
    assert refused.status_code == 400
    assert "insufficient access" in (await refused.get_json())["message"]
    assert (await get_service_auth(client, privileged, aud=AUD, lxm=lxm)).status_code == 200
    assert (await get_service_auth(client, plain, aud=AUD, lxm=LXM)).status_code == 200


@pytest.mark.parametrize(
    ("offset_s", "lxm"),
    [(-10, LXM), (2 * 3600, LXM), (120, None)],
)
async def test_a_bad_expiration_is_refused(
    client: Any, account_factory: Any, offset_s: int, lxm: str | None
) -> None:
    alice = await account_factory(client, "alice.test")
    params: dict[str, Any] = {"aud": AUD, "exp": int(time.time()) + offset_s}
    if lxm is not None:
        params["lxm"] = lxm
    response = await get_service_auth(client, alice.headers, **params)
    assert (response.status_code, (await response.get_json())["error"]) == (400, "BadExpiration")


async def test_an_hour_with_lxm_is_allowed(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    exp = int(time.time()) + 3500
    response = await get_service_auth(client, alice.headers, aud=AUD, lxm=LXM, exp=exp)
    token = (await response.get_json())["token"]
    assert (await verify(token, alice.key.public_key())).exp == exp


async def test_an_aud_that_is_not_a_did_is_refused(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    response = await get_service_auth(client, alice.headers, aud="https://service.test")
    assert response.status_code == 400


async def test_get_service_auth_needs_a_session(client: Any) -> None:
    response = await get_service_auth(client, {}, aud=AUD)
    assert response.status_code == 401
