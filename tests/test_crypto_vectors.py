"""Every entry of the interop crypto vectors behaves as its file says.

See ``../shared/interop/SOURCE.md``: messages and signatures are base64 without padding;
``publicKeyMultibase`` is base58btc of the bare compressed key (no multicodec prefix) and
must equal the key inside ``publicKeyDid``; verification must equal ``validSignature``,
so high-S and DER-encoded signatures are rejected.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import libipld
import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from exprsn_pds.crypto import Curve, PrivateKey, parse_did_key
from exprsn_pds.crypto.curves import CURVES

CRYPTO_FOLDER = Path(os.environ["PDS_SHARED_DIR"]) / "interop" / "crypto"
SCALAR_BYTES = 32
ALGORITHM_CURVES = {"ES256K": Curve.K256, "ES256": Curve.P256}


def load(name: str) -> list[dict[str, Any]]:
    """The entries of one vector file."""
    entries: list[dict[str, Any]] = json.loads((CRYPTO_FOLDER / name).read_text("utf-8"))
    return entries


def entry_cases(name: str, tag: str | None = None) -> list[Any]:
    """One parametrised case per entry (only those tagged ``tag`` when given)."""
    return [
        pytest.param(entry, id=f"{name}[{index}]")
        for index, entry in enumerate(load(name))
        if tag is None or tag in entry.get("tags", [])
    ]


def unpadded_base64(value: str) -> bytes:
    """Decode standard base64 that omits its ``=`` padding."""
    return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)


def base58btc(value: str) -> bytes:
    """Decode bare base58btc (no multibase prefix)."""
    _, data = libipld.decode_multibase("z" + value)
    return bytes(data)


@pytest.mark.parametrize("entry", entry_cases("signature-fixtures.json"))
def test_signature_fixture_verifies_as_expected(entry: dict[str, Any]) -> None:
    key = parse_did_key(entry["publicKeyDid"])
    assert key.curve == ALGORITHM_CURVES[entry["algorithm"]]
    assert key.jwt_alg == entry["algorithm"]
    assert base58btc(entry["publicKeyMultibase"].removeprefix("z")) == key.compressed()
    message = unpadded_base64(entry["messageBase64"])
    signature = unpadded_base64(entry["signatureBase64"])
    assert key.verify(message, signature) is entry["validSignature"]


@pytest.mark.parametrize("entry", entry_cases("signature-fixtures.json", "high-s"))
def test_high_s_fixture_is_valid_once_mirrored_to_low_s(entry: dict[str, Any]) -> None:
    key = parse_did_key(entry["publicKeyDid"])
    signature = unpadded_base64(entry["signatureBase64"])
    high_s = int.from_bytes(signature[SCALAR_BYTES:], "big")
    low_s = CURVES[key.curve].order - high_s
    mirrored = signature[:SCALAR_BYTES] + low_s.to_bytes(SCALAR_BYTES, "big")
    assert key.verify(unpadded_base64(entry["messageBase64"]), mirrored)


@pytest.mark.parametrize("entry", entry_cases("signature-fixtures.json", "der-encoded"))
def test_der_fixture_is_valid_once_made_compact(entry: dict[str, Any]) -> None:
    key = parse_did_key(entry["publicKeyDid"])
    r, s = decode_dss_signature(unpadded_base64(entry["signatureBase64"]))
    compact = r.to_bytes(SCALAR_BYTES, "big") + s.to_bytes(SCALAR_BYTES, "big")
    assert key.verify(unpadded_base64(entry["messageBase64"]), compact)


@pytest.mark.parametrize("entry", entry_cases("w3c_didkey_K256.json"))
def test_k256_private_key_formats_as_its_did_key(entry: dict[str, Any]) -> None:
    private = PrivateKey.from_bytes(bytes.fromhex(entry["privateKeyBytesHex"]), Curve.K256)
    assert private.public_key().did_key() == entry["publicDidKey"]
    assert parse_did_key(entry["publicDidKey"]) == private.public_key()


@pytest.mark.parametrize("entry", entry_cases("w3c_didkey_P256.json"))
def test_p256_private_key_formats_as_its_did_key(entry: dict[str, Any]) -> None:
    private = PrivateKey.from_bytes(base58btc(entry["privateKeyBytesBase58"]), Curve.P256)
    assert private.public_key().did_key() == entry["publicDidKey"]
    assert parse_did_key(entry["publicDidKey"]) == private.public_key()
