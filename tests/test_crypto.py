"""Keys, signatures and the master keyring behave as exprsn_pds.crypto documents."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from exprsn_pds.crypto import (
    Curve,
    InvalidKey,
    KeyringError,
    MasterKeyring,
    PrivateKey,
    PublicKey,
    key_id_for,
    load_master_keyring,
    master_keys_path,
    parse_did_key,
    parse_multikey,
    rotate,
)
from exprsn_pds.crypto.curves import CURVES
from exprsn_pds.crypto.keyring import MASTER_KEY_BYTES, NONCE_BYTES, TAG_BYTES

SCALAR_BYTES = 32
LOW_S_SAMPLE_SIZE = 200
MULTIKEY_PREFIXES = {Curve.K256: "zQ3s", Curve.P256: "zDna"}
MESSAGE = b"an atproto commit"
OWNER = b"did:plc:ewvi7nxzyoun6zhxrhs64oiz"
OTHER_OWNER = b"did:plc:44ybard66vv44zksje25o7dz"
SECRET = b"32 bytes of private key material"

curves = pytest.mark.parametrize("curve", list(Curve))


def split(signature: bytes) -> tuple[int, int]:
    """(r, s) of a compact signature."""
    return (
        int.from_bytes(signature[:SCALAR_BYTES], "big"),
        int.from_bytes(signature[SCALAR_BYTES:], "big"),
    )


def new_master_key() -> bytes:
    """A random master key."""
    return os.urandom(MASTER_KEY_BYTES)


# --- Keys and signatures ---------------------------------------------------------------


@curves
def test_signature_verifies_with_the_public_key(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    signature = private.sign(MESSAGE)
    assert len(signature) == 2 * SCALAR_BYTES
    assert private.public_key().verify(MESSAGE, signature)


@curves
def test_signatures_are_always_low_s(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    half_order = CURVES[curve].order // 2
    for index in range(LOW_S_SAMPLE_SIZE):
        _, s = split(private.sign(b"message %d" % index))
        assert 0 < s <= half_order


@curves
def test_signing_is_deterministic(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    assert private.sign(MESSAGE) == private.sign(MESSAGE)


@curves
def test_signature_fails_for_another_message(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    assert not private.public_key().verify(MESSAGE + b"!", private.sign(MESSAGE))


@curves
def test_tampered_signature_fails(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    signature = bytearray(private.sign(MESSAGE))
    signature[10] ^= 0x01
    assert not private.public_key().verify(MESSAGE, bytes(signature))


@curves
def test_signature_fails_with_another_key(curve: Curve) -> None:
    signature = PrivateKey.generate(curve).sign(MESSAGE)
    assert not PrivateKey.generate(curve).public_key().verify(MESSAGE, signature)


@curves
def test_high_s_twin_of_a_valid_signature_is_rejected(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    r, s = split(private.sign(MESSAGE))
    high_s = CURVES[curve].order - s
    twin = r.to_bytes(SCALAR_BYTES, "big") + high_s.to_bytes(SCALAR_BYTES, "big")
    assert not private.public_key().verify(MESSAGE, twin)


@curves
def test_der_encoding_of_a_valid_signature_is_rejected(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    der = encode_dss_signature(*split(private.sign(MESSAGE)))
    assert not private.public_key().verify(MESSAGE, der)


@curves
def test_zero_signature_is_rejected(curve: Curve) -> None:
    public = PrivateKey.generate(curve).public_key()
    assert not public.verify(MESSAGE, bytes(2 * SCALAR_BYTES))


@curves
def test_private_key_round_trips_through_bytes(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    loaded = PrivateKey.from_bytes(private.to_bytes(), curve)
    assert loaded.public_key() == private.public_key()
    assert loaded.curve == curve


@curves
@pytest.mark.parametrize("scalar", ["zero", "order", "short"])
def test_out_of_range_private_key_is_rejected(curve: Curve, scalar: str) -> None:
    raw = {
        "zero": bytes(SCALAR_BYTES),
        "order": CURVES[curve].order.to_bytes(SCALAR_BYTES, "big"),
        "short": b"\x01" * (SCALAR_BYTES - 1),
    }[scalar]
    with pytest.raises(InvalidKey):
        PrivateKey.from_bytes(raw, curve)


def test_unknown_curve_is_rejected() -> None:
    with pytest.raises(InvalidKey, match="unsupported curve"):
        PrivateKey.generate("ed25519")


@curves
def test_jwt_alg_names_the_curve(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    expected = {Curve.K256: "ES256K", Curve.P256: "ES256"}[curve]
    assert private.jwt_alg == private.public_key().jwt_alg == expected


@curves
def test_private_key_repr_hides_the_secret(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    assert private.to_bytes().hex() not in repr(private)
    assert private.public_key().did_key() in repr(private)


@curves
def test_uncompressed_and_compressed_forms_load_the_same_key(curve: Curve) -> None:
    private = PrivateKey.generate(curve)
    openssl_curve = {Curve.K256: ec.SECP256K1(), Curve.P256: ec.SECP256R1()}[curve]
    uncompressed = (
        ec.derive_private_key(int.from_bytes(private.to_bytes(), "big"), openssl_curve)
        .public_key()
        .public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    public = PublicKey.from_uncompressed(uncompressed, curve)
    assert public == PublicKey.from_compressed(private.public_key().compressed(), curve)
    assert public == private.public_key()
    assert len(public.compressed()) == SCALAR_BYTES + 1


@curves
def test_point_off_the_curve_is_rejected(curve: Curve) -> None:
    with pytest.raises(InvalidKey):
        PublicKey.from_compressed(b"\x02" + b"\xff" * SCALAR_BYTES, curve)


@curves
def test_compressed_loader_refuses_an_uncompressed_point(curve: Curve) -> None:
    with pytest.raises(InvalidKey):
        PublicKey.from_compressed(b"\x04" + bytes(2 * SCALAR_BYTES), curve)


@curves
def test_multikey_has_the_curve_prefix_and_round_trips(curve: Curve) -> None:
    public = PrivateKey.generate(curve).public_key()
    assert public.multibase().startswith(MULTIKEY_PREFIXES[curve])
    assert parse_multikey(public.multibase()) == public
    assert public.did_key() == "did:key:" + public.multibase()
    assert parse_did_key(public.did_key()) == public


@pytest.mark.parametrize(
    "value",
    [
        "did:web:example.com",
        "did:key:",
        "did:key:fQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
        "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJw0",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJw",
    ],
    ids=["other-method", "empty", "not-base58btc", "bad-base58", "ed25519", "truncated"],
)
def test_malformed_did_key_is_rejected(value: str) -> None:
    with pytest.raises(InvalidKey):
        parse_did_key(value)


# --- Master keyring ------------------------------------------------------------------------


def test_keyring_decrypts_what_it_encrypts() -> None:
    keyring = MasterKeyring.from_keys([new_master_key()])
    assert keyring.decrypt(keyring.encrypt(SECRET, OWNER), OWNER) == SECRET


def test_blob_names_its_version_key_and_fresh_nonce() -> None:
    keyring = MasterKeyring.from_keys([new_master_key()])
    first, second = keyring.encrypt(SECRET, OWNER), keyring.encrypt(SECRET, OWNER)
    header = bytes([1, len(keyring.current_id)]) + keyring.current_id.encode()
    assert first.startswith(header)
    assert len(first) == len(header) + NONCE_BYTES + len(SECRET) + TAG_BYTES
    assert first != second
    assert keyring.key_id_of(first) == keyring.current_id


def test_wrong_associated_data_fails() -> None:
    keyring = MasterKeyring.from_keys([new_master_key()])
    blob = keyring.encrypt(SECRET, OWNER)
    with pytest.raises(KeyringError, match="authentication"):
        keyring.decrypt(blob, OTHER_OWNER)


@pytest.mark.parametrize("offset", [-1, -TAG_BYTES - 1, -TAG_BYTES - len(SECRET) - 1])
def test_tampered_blob_fails(offset: int) -> None:
    keyring = MasterKeyring.from_keys([new_master_key()])
    blob = bytearray(keyring.encrypt(SECRET, OWNER))
    blob[offset] ^= 0x01
    with pytest.raises(KeyringError, match="authentication"):
        keyring.decrypt(bytes(blob), OWNER)


def test_blob_under_an_unknown_key_fails() -> None:
    blob = MasterKeyring.from_keys([new_master_key()]).encrypt(SECRET, OWNER)
    with pytest.raises(KeyringError, match="unknown master key"):
        MasterKeyring.from_keys([new_master_key()]).decrypt(blob, OWNER)


@pytest.mark.parametrize("blob", [b"", b"\x02\x00" + bytes(40), b"\x01\x08abc"])
def test_malformed_blob_fails(blob: bytes) -> None:
    with pytest.raises(KeyringError):
        MasterKeyring.from_keys([new_master_key()]).decrypt(blob, OWNER)


def test_old_blob_decrypts_after_rotation_and_is_moved_to_the_current_key() -> None:
    old_key, new_key = new_master_key(), new_master_key()
    old_blob = MasterKeyring.from_keys([old_key]).encrypt(SECRET, OWNER)
    rotated = MasterKeyring.from_keys([new_key, old_key])
    assert rotated.decrypt(old_blob, OWNER) == SECRET
    assert rotated.needs_rotation(old_blob)
    moved = rotated.reencrypt(old_blob, OWNER)
    assert rotated.key_id_of(moved) == key_id_for(new_key)
    assert not rotated.needs_rotation(moved)
    assert rotated.decrypt(moved, OWNER) == SECRET


def test_keyring_accepts_explicit_key_ids() -> None:
    keyring = MasterKeyring({"2026-01": new_master_key()}, "2026-01")
    assert keyring.key_id_of(keyring.encrypt(SECRET, OWNER)) == "2026-01"


@pytest.mark.parametrize(
    ("keys", "current_id"),
    [
        ({"a": b"short"}, "a"),
        ({"a": bytes(MASTER_KEY_BYTES)}, "b"),
        ({"has space": bytes(MASTER_KEY_BYTES)}, "has space"),
    ],
    ids=["short-key", "missing-current", "bad-id"],
)
def test_invalid_keyring_is_refused(keys: dict[str, bytes], current_id: str) -> None:
    with pytest.raises(KeyringError):
        MasterKeyring(keys, current_id)


def test_the_same_key_twice_is_refused() -> None:
    key = new_master_key()
    with pytest.raises(KeyringError, match="twice"):
        MasterKeyring.from_keys([key, key])


def test_keyring_repr_hides_the_keys() -> None:
    key = new_master_key()
    text = repr(MasterKeyring.from_keys([key]))
    assert key_id_for(key) in text
    assert base64.b64encode(key).decode() not in text
    assert key.hex() not in text


# --- Master keys file and configured keys --------------------------------------------------


def file_mode(path: Path) -> int:
    """Permission bits of a file."""
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_key_file_is_created_private_with_one_key(tmp_path: Path) -> None:
    keyring = load_master_keyring(tmp_path, None)
    assert file_mode(master_keys_path(tmp_path)) == 0o600
    assert keyring.key_ids == (keyring.current_id,)


def test_key_file_is_reused_on_the_next_load(tmp_path: Path) -> None:
    blob = load_master_keyring(tmp_path, None).encrypt(SECRET, OWNER)
    assert load_master_keyring(tmp_path, None).decrypt(blob, OWNER) == SECRET


def test_rotate_adds_a_current_key_and_keeps_old_ones(tmp_path: Path) -> None:
    before = load_master_keyring(tmp_path, None)
    old_blob = before.encrypt(SECRET, OWNER)
    new_id = rotate(tmp_path)
    after = load_master_keyring(tmp_path, None)
    assert file_mode(master_keys_path(tmp_path)) == 0o600
    assert after.current_id == new_id != before.current_id
    assert set(after.key_ids) == {before.current_id, new_id}
    assert after.needs_rotation(old_blob)
    moved = after.reencrypt(old_blob, OWNER)
    assert after.key_id_of(moved) == new_id
    assert after.decrypt(moved, OWNER) == SECRET


def test_rotate_creates_a_missing_key_file(tmp_path: Path) -> None:
    new_id = rotate(tmp_path)
    assert load_master_keyring(tmp_path, None).current_id == new_id
    assert file_mode(master_keys_path(tmp_path)) == 0o600


def test_malformed_key_file_names_itself(tmp_path: Path) -> None:
    master_keys_path(tmp_path).write_text('current = "a"\n[keys]\na = "not base64!"\n')
    with pytest.raises(KeyringError, match=r"master_keys\.toml"):
        load_master_keyring(tmp_path, None)


def test_configured_keys_replace_the_file_and_the_first_is_current(tmp_path: Path) -> None:
    current, older = new_master_key(), new_master_key()
    configured = ", ".join(base64.b64encode(key).decode() for key in (current, older))
    keyring = load_master_keyring(tmp_path, configured)
    assert keyring.current_id == key_id_for(current)
    assert set(keyring.key_ids) == {key_id_for(current), key_id_for(older)}
    assert not master_keys_path(tmp_path).exists()


@pytest.mark.parametrize(
    "configured",
    ["not base64!", base64.b64encode(b"too short").decode()],
    ids=["not-base64", "wrong-length"],
)
def test_bad_configured_key_is_refused(tmp_path: Path, configured: str) -> None:
    with pytest.raises(KeyringError, match="configured"):
        load_master_keyring(tmp_path, configured)
