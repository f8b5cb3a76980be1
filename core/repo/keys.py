"""Repo signing keys, encrypted at rest under the master keyring (bound to the DID)."""

from __future__ import annotations

import functools

from exprsn_pds.crypto import MasterKeyring, PrivateKey

#: How many opened signing keys a :class:`RepoKeys` keeps (one per recently written repo).
OPENED_CACHE_SIZE = 1024


class RepoKeys:
    """Seals and opens repo signing keys; a sealed key only opens for its own DID."""

    def __init__(self, keyring: MasterKeyring) -> None:
        self.keyring = keyring
        # Every commit signs: remember the opened keys of recently written repos rather
        # than decrypt and parse the envelope each time (keyed by the envelope, so a
        # resealed or replaced key is opened afresh).
        self._opened = functools.lru_cache(maxsize=OPENED_CACHE_SIZE)(self._open)

    def seal(self, did: str, key: PrivateKey) -> bytes:
        """The AES-256-GCM envelope of ``key`` for ``did``."""
        return self.keyring.encrypt(key.to_bytes(), did.encode())

    def open(self, did: str, sealed: bytes, curve: str) -> PrivateKey:
        """The private key in ``sealed`` (raises ``KeyringError`` if it is not ``did``'s)."""
        key: PrivateKey = self._opened(did, bytes(sealed), curve)
        return key

    def _open(self, did: str, sealed: bytes, curve: str) -> PrivateKey:
        return PrivateKey.from_bytes(self.keyring.decrypt(sealed, did.encode()), curve)

    def needs_rotation(self, sealed: bytes) -> bool:
        """Whether ``sealed`` is under an older master key."""
        return self.keyring.needs_rotation(sealed)

    def reseal(self, did: str, sealed: bytes) -> bytes:
        """``sealed`` re-encrypted under the current master key."""
        return self.keyring.reencrypt(sealed, did.encode())
