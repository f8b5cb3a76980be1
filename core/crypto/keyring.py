"""Encryption at rest: AES-256-GCM under one of several master keys.

A blob is self-describing::

    version (1 byte) | key-id length (1 byte) | key id (ASCII) | nonce (12 bytes) | ciphertext+tag

The header (version and key id) and the caller's associated data are both authenticated,
so a blob only decrypts for the owner it was encrypted for (pass e.g. the account DID):
swapping two accounts' encrypted rows makes both fail. Old master keys stay in the ring
to decrypt; new blobs always use the current one.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from exprsn_pds.crypto.errors import KeyringError, UnknownMasterKey

#: Version byte of the blob layout above.
BLOB_VERSION = 1
MASTER_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
#: A derived key id is this many hex characters of SHA-256(key).
DERIVED_KEY_ID_CHARS = 8
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Bytes before the key id: version and key-id length.
_PREAMBLE_BYTES = 2


def key_id_for(key: bytes) -> str:
    """The default id of a master key: the first 8 hex characters of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:DERIVED_KEY_ID_CHARS]


class MasterKeyring:
    """One or more 32-byte AES-256-GCM master keys by id, one of them current."""

    __slots__ = ("_ciphers", "_current_id")

    def __init__(self, keys: Mapping[str, bytes], current_id: str) -> None:
        for key_id, key in keys.items():
            if not KEY_ID_PATTERN.fullmatch(key_id):
                raise KeyringError(f"invalid master key id {key_id!r}: use 1-64 of A-Z a-z 0-9 _ -")
            if len(key) != MASTER_KEY_BYTES:
                raise KeyringError(f"master key {key_id!r} is not {MASTER_KEY_BYTES} bytes")
        if current_id not in keys:
            raise KeyringError(f"the current master key {current_id!r} is not in the keyring")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current_id = current_id

    @classmethod
    def from_keys(cls, keys: Sequence[bytes]) -> MasterKeyring:
        """A keyring of ``keys`` under their derived ids; the first one is current."""
        if not keys:
            raise KeyringError("a master keyring needs at least one key")
        by_id = {key_id_for(key): key for key in keys}
        if len(by_id) != len(keys):
            raise KeyringError("the same master key is listed twice")
        return cls(by_id, key_id_for(keys[0]))

    @property
    def current_id(self) -> str:
        """Id of the key new blobs are encrypted under."""
        return self._current_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of every key that can decrypt."""
        return tuple(self._ciphers)

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        """Encrypt under the current key with a fresh random nonce, bound to ``associated_data``."""
        header = _header(self._current_id)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._current_id].encrypt(nonce, plaintext, header + associated_data)
        return header + nonce + sealed

    def decrypt(self, blob: bytes, associated_data: bytes) -> bytes:
        """The plaintext of ``blob``; :class:`KeyringError` for an unknown key or any tampering."""
        key_id, header_end = _parse_header(blob)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownMasterKey(f"blob is encrypted under unknown master key {key_id!r}")
        nonce = blob[header_end : header_end + NONCE_BYTES]
        sealed = blob[header_end + NONCE_BYTES :]
        try:
            return cipher.decrypt(nonce, sealed, blob[:header_end] + associated_data)
        except InvalidTag:
            raise KeyringError("blob failed authentication (tampered, or wrong owner)") from None

    def key_id_of(self, blob: bytes) -> str:
        """Id of the master key ``blob`` was encrypted under (read from its header)."""
        return _parse_header(blob)[0]

    def needs_rotation(self, blob: bytes) -> bool:
        """Whether ``blob`` was encrypted under a key other than the current one."""
        return self.key_id_of(blob) != self._current_id

    def reencrypt(self, blob: bytes, associated_data: bytes) -> bytes:
        """Decrypt ``blob`` and encrypt its plaintext again under the current key."""
        return self.encrypt(self.decrypt(blob, associated_data), associated_data)

    def __repr__(self) -> str:
        return f"MasterKeyring(current_id={self._current_id!r}, key_ids={list(self._ciphers)!r})"


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return bytes([BLOB_VERSION, len(encoded)]) + encoded


def _parse_header(blob: bytes) -> tuple[str, int]:
    """(key id, offset where the nonce starts); :class:`KeyringError` if malformed."""
    if len(blob) < _PREAMBLE_BYTES or blob[0] != BLOB_VERSION:
        raise KeyringError("not an encrypted blob of a known version")
    header_end = _PREAMBLE_BYTES + blob[1]
    if len(blob) < header_end + NONCE_BYTES + TAG_BYTES:
        raise KeyringError("encrypted blob is truncated")
    try:
        key_id = blob[_PREAMBLE_BYTES:header_end].decode("ascii")
    except UnicodeDecodeError:
        raise KeyringError("encrypted blob has a malformed key id") from None
    return key_id, header_end
