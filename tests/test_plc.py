"""did:plc against a real directory (the official ``@did-plc/server``, in memory).

Every test that touches storage runs on SQLite + in-process cache and PostgreSQL + Redis.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from exprsn_pds.app import get_pds
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.datamodel import encode
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.identity.did_document import handle_of, pds_endpoint_of, verification_key
from exprsn_pds.identity.plc_ops import (
    InvalidOperation,
    atproto_operation,
    check_operation,
    did_for_genesis,
    operation_cid,
    sign_operation,
    signed_by,
    update_operation,
)
from exprsn_pds.pds import Pds

DOMAINS = [".pds.test"]


@pytest.fixture
async def client(
    client_factory: Callable[..., Awaitable[Any]],
    settings_factory: Callable[..., Any],
    plc_directory: str,
) -> Any:
    settings = settings_factory(
        identity={"did_plc_url": plc_directory},
        accounts={"service_handle_domains": DOMAINS},
    )
    return await client_factory(settings)


@pytest.fixture
def pds(client: Any) -> Pds:
    return get_pds(client.app)


async def directory_get(plc_directory: str, path: str) -> Any:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{plc_directory}/{path}")
        assert response.status_code == 200, response.text
        return response.json()


# --- Operations, without a directory --------------------------------------------------------


def genesis(
    rotation: PrivateKey, signing: PrivateKey, handle: str = "alice.pds.test"
) -> dict[str, Any]:
    return atproto_operation(
        signing_key=signing.public_key().did_key(),
        rotation_keys=[rotation.public_key().did_key()],
        handle=handle,
        pds_endpoint="https://pds.test",
        prev=None,
    )


def test_a_signature_is_base64url_without_padding_over_the_unsigned_cbor() -> None:
    rotation, signing = PrivateKey.generate("k256"), PrivateKey.generate("k256")
    signed = sign_operation(genesis(rotation, signing), rotation)
    assert "=" not in signed["sig"] and "+" not in signed["sig"] and "/" not in signed["sig"]
    assert signed_by(signed, [rotation.public_key().did_key()]) == rotation.public_key().did_key()
    assert signed_by(signed, [signing.public_key().did_key()]) is None
    unsigned = {k: v for k, v in signed.items() if k != "sig"}
    assert rotation.sign(encode(unsigned)) == rotation.sign(encode(genesis(rotation, signing)))


def test_a_changed_operation_no_longer_verifies() -> None:
    rotation, signing = PrivateKey.generate("k256"), PrivateKey.generate("k256")
    signed = sign_operation(genesis(rotation, signing), rotation)
    forged = {**signed, "alsoKnownAs": ["at://mallory.pds.test"]}
    assert signed_by(forged, [rotation.public_key().did_key()]) is None


def test_the_did_is_24_base32_characters_of_the_signed_genesis_hash() -> None:
    rotation, signing = PrivateKey.generate("k256"), PrivateKey.generate("k256")
    did = did_for_genesis(sign_operation(genesis(rotation, signing), rotation))
    suffix = did.removeprefix("did:plc:")
    assert len(suffix) == 24 and set(suffix) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_an_update_names_the_previous_operation_and_keeps_the_rest() -> None:
    rotation, signing = PrivateKey.generate("k256"), PrivateKey.generate("k256")
    first = sign_operation(genesis(rotation, signing), rotation)
    second = update_operation(first, handle="bob.pds.test")
    assert second["prev"] == str(operation_cid(first))
    assert second["alsoKnownAs"] == ["at://bob.pds.test"]
    assert second["rotationKeys"] == first["rotationKeys"]
    assert second["verificationMethods"] == first["verificationMethods"]
    assert "sig" not in second


@pytest.mark.parametrize(
    "change",
    [
        {"type": "create"},
        {"rotationKeys": ["not-a-did-key"]},
        {"services": {"atproto_pds": {"type": "x"}}},
        {"extra": 1},
        {"sig": 5},
    ],
)
def test_malformed_operations_are_refused(change: dict[str, Any]) -> None:
    rotation, signing = PrivateKey.generate("k256"), PrivateKey.generate("k256")
    operation = {**sign_operation(genesis(rotation, signing), rotation), **change}
    with pytest.raises(InvalidOperation):
        check_operation(operation)


# --- Against the directory ------------------------------------------------------------------


async def test_create_did_registers_a_genesis_operation_with_the_directory(
    pds: Pds, plc_directory: str
) -> None:
    signing = PrivateKey.generate("k256")
    did = await pds.identity.create_did("alice.pds.test", signing.public_key(), None)
    assert did.startswith("did:plc:")
    data = await directory_get(plc_directory, f"{did}/data")
    assert data["alsoKnownAs"] == ["at://alice.pds.test"]
    assert data["verificationMethods"] == {"atproto": signing.public_key().did_key()}
    assert data["rotationKeys"] == [pds.identity.rotation_did_key]
    assert data["services"] == {
        "atproto_pds": {"type": "AtprotoPersonalDataServer", "endpoint": pds.settings.public_url}
    }


async def test_the_directory_document_names_the_signing_key_handle_and_endpoint(
    pds: Pds, plc_directory: str
) -> None:
    """The published directory writes legacy key types; both forms must be readable."""
    signing = PrivateKey.generate("k256")
    did = await pds.identity.create_did("alice.pds.test", signing.public_key(), None)
    document = await directory_get(plc_directory, did)
    assert document["id"] == did
    assert verification_key(document) == signing.public_key()
    assert handle_of(document) == "alice.pds.test"
    assert pds_endpoint_of(document) == pds.settings.public_url


async def test_a_recovery_key_comes_first_in_the_rotation_keys(
    pds: Pds, plc_directory: str
) -> None:
    recovery = PrivateKey.generate("p256").public_key().did_key()
    did = await pds.identity.create_did(
        "alice.pds.test", PrivateKey.generate("k256").public_key(), recovery
    )
    data = await directory_get(plc_directory, f"{did}/data")
    assert data["rotationKeys"] == [recovery, pds.identity.rotation_did_key]


async def test_a_recovery_key_that_is_not_a_did_key_is_refused(pds: Pds) -> None:
    with pytest.raises(InvalidRequest, match="Invalid recoveryKey"):
        await pds.identity.create_did(
            "alice.pds.test", PrivateKey.generate("k256").public_key(), "did:web:nope.test"
        )


async def test_the_directory_accepts_a_signed_handle_update(pds: Pds, plc_directory: str) -> None:
    did = await pds.identity.create_did(
        "alice.pds.test", PrivateKey.generate("k256").public_key(), None
    )
    assert pds.identity.plc is not None
    last = await pds.identity.plc.get_last_operation(did)
    assert last is not None
    update = sign_operation(
        update_operation(last, handle="alice2.pds.test"), pds.identity.rotation_key
    )
    await pds.identity.submit_plc_operation(did, update)
    log = await directory_get(plc_directory, f"{did}/log/audit")
    assert [entry["cid"] for entry in log] == [str(operation_cid(last)), str(operation_cid(update))]
    data = await directory_get(plc_directory, f"{did}/data")
    assert data["alsoKnownAs"] == ["at://alice2.pds.test"]


async def test_an_operation_signed_by_another_key_is_refused_by_the_directory(pds: Pds) -> None:
    did = await pds.identity.create_did(
        "alice.pds.test", PrivateKey.generate("k256").public_key(), None
    )
    assert pds.identity.plc is not None
    last = await pds.identity.plc.get_last_operation(did)
    assert last is not None
    forged = sign_operation(
        update_operation(last, handle="mallory.pds.test"), PrivateKey.generate("k256")
    )
    with pytest.raises(InvalidRequest, match="PLC directory answered 400"):
        await pds.identity.submit_plc_operation(did, forged)


async def test_an_unknown_did_has_no_document(pds: Pds) -> None:
    assert pds.identity.plc is not None
    assert await pds.identity.plc.get_document("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa") is None
    assert await pds.identity.resolve_did("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa") is None


async def test_a_remote_did_plc_resolves_through_the_directory(
    pds: Pds, plc_directory: str
) -> None:
    rotation, signing = PrivateKey.generate("k256"), PrivateKey.generate("k256")
    signed = sign_operation(genesis(rotation, signing, "remote.example.com"), rotation)
    did = did_for_genesis(signed)
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{plc_directory}/{did}", json=signed)).status_code == 200
    document = await pds.identity.resolve_did(did)
    assert document is not None and document["alsoKnownAs"] == ["at://remote.example.com"]
    assert await pds.identity.signing_key(did) == signing.public_key()


# --- Hosted did:plc accounts over XRPC ---------------------------------------------------------


@pytest.fixture
async def alice(pds: Pds, account_factory: Any) -> Any:
    """A hosted did:plc account registered with the directory."""
    return await account_factory(pds, "alice.pds.test", server_did=True)


async def test_update_handle_of_a_plc_account_updates_the_directory(
    client: Any, pds: Pds, alice: Any, plc_directory: str
) -> None:
    response = await client.post(
        "/xrpc/com.atproto.identity.updateHandle",
        json={"handle": "alice2.pds.test"},
        headers=alice.headers,
    )
    assert response.status_code == 200, await response.get_json()
    data = await directory_get(plc_directory, f"{alice.did}/data")
    assert data["alsoKnownAs"] == ["at://alice2.pds.test"]
    assert len(await directory_get(plc_directory, f"{alice.did}/log/audit")) == 2


async def test_recommended_credentials_describe_this_server(
    client: Any, pds: Pds, alice: Any
) -> None:
    response = await client.get(
        "/xrpc/com.atproto.identity.getRecommendedDidCredentials", headers=alice.headers
    )
    assert await response.get_json() == {
        "rotationKeys": [pds.identity.rotation_did_key],
        "alsoKnownAs": ["at://alice.pds.test"],
        "verificationMethods": {"atproto": alice.key.public_key().did_key()},
        "services": {
            "atproto_pds": {
                "type": "AtprotoPersonalDataServer",
                "endpoint": pds.settings.public_url,
            }
        },
    }


async def submit(client: Any, headers: dict[str, str], operation: dict[str, Any]) -> Any:
    return await client.post(
        "/xrpc/com.atproto.identity.submitPlcOperation",
        json={"operation": operation},
        headers=headers,
    )


async def test_a_valid_plc_operation_is_submitted_and_announced(
    client: Any, pds: Pds, alice: Any, plc_directory: str
) -> None:
    assert pds.identity.plc is not None
    last = await pds.identity.plc.get_last_operation(alice.did)
    assert last is not None
    extra = PrivateKey.generate("k256").public_key().did_key()
    unsigned = update_operation(last, rotation_keys=[extra, pds.identity.rotation_did_key])
    response = await submit(
        client, alice.headers, sign_operation(unsigned, pds.identity.rotation_key)
    )
    assert response.status_code == 200, await response.get_json()
    data = await directory_get(plc_directory, f"{alice.did}/data")
    assert data["rotationKeys"] == [extra, pds.identity.rotation_did_key]
    events = await RepoEvent.filter(did=alice.did, type="identity").count()
    assert events == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"rotation_keys": ["did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"]},
            "Rotation keys do not include server's rotation key",
        ),
        ({"pds_endpoint": "https://elsewhere.test"}, "Incorrect endpoint on atproto_pds service"),
        (
            {"signing_key": "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"},
            "Incorrect signing key",
        ),
        ({"handle": "mallory.pds.test"}, "Incorrect handle in alsoKnownAs"),
    ],
)
async def test_an_operation_that_takes_the_account_away_is_refused(
    client: Any, pds: Pds, alice: Any, change: dict[str, Any], message: str
) -> None:
    assert pds.identity.plc is not None
    last = await pds.identity.plc.get_last_operation(alice.did)
    assert last is not None
    operation = sign_operation(update_operation(last, **change), pds.identity.rotation_key)
    response = await submit(client, alice.headers, operation)
    assert (response.status_code, (await response.get_json())["message"]) == (400, message)


async def test_a_malformed_operation_is_an_invalid_request(client: Any, alice: Any) -> None:
    response = await submit(client, alice.headers, {"type": "plc_operation"})
    assert response.status_code == 400
    assert (await response.get_json())["message"].startswith("Invalid operation")
