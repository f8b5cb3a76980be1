"""Repo signing keys, encrypted at rest under the master keyring (bound to the DID)."""

from __future__ import annotations

import functools

from exprsn_pds.crypto import KeyringSource, MasterKeyring, PrivateKey, UnknownMasterKey

#: How many opened signing keys a :class:`RepoKeys` keeps (one per recently written repo).
OPENED_CACHE_SIZE = 1024


class RepoKeys:
    """Seals and opens repo signing keys; a sealed key only opens for its own DID.

    With a ``source``, the keyring follows ``pds keys rotate-master`` while the server
    runs: a key sealed under a master key this process does not hold yet, and every new
    seal, first re-read the keyring file if it changed.
    """

    def __init__(self, keyring: MasterKeyring, source: KeyringSource | None = None) -> None:
        self.keyring = keyring
        self._source = source
        # Every commit signs: remember the opened keys of recently written repos rather
        # than decrypt and parse the envelope each time (keyed by the envelope, so a
        # resealed or replaced key is opened afresh).
        self._opened = functools.lru_cache(maxsize=OPENED_CACHE_SIZE)(self._open)

    def _follow_rotation(self) -> bool:
        """Take up the keyring file if it changed; whether it did."""
        reloaded = self._source.reload_if_changed() if self._source is not None else None
        if reloaded is None:
            return False
        self.keyring = reloaded
        return True

    def seal(self, did: str, key: PrivateKey) -> bytes:
        """The AES-256-GCM envelope of ``key`` for ``did``, under the newest master key."""
        self._follow_rotation()
        return self.keyring.encrypt(key.to_bytes(), did.encode())

    def open(self, did: str, sealed: bytes, curve: str) -> PrivateKey:
        """The private key in ``sealed`` (raises ``KeyringError`` if it is not ``did``'s)."""
        key: PrivateKey = self._opened(did, bytes(sealed), curve)
        return key

    def _open(self, did: str, sealed: bytes, curve: str) -> PrivateKey:
        try:
            plaintext = self.keyring.decrypt(sealed, did.encode())
        except UnknownMasterKey:
            if not self._follow_rotation():
                raise
            plaintext = self.keyring.decrypt(sealed, did.encode())
        return PrivateKey.from_bytes(plaintext, curve)

    def needs_rotation(self, sealed: bytes) -> bool:
        """Whether ``sealed`` is under an older master key."""
        return self.keyring.needs_rotation(sealed)

    def reseal(self, did: str, sealed: bytes) -> bytes:
        """``sealed`` re-encrypted under the current master key."""
        return self.keyring.reencrypt(sealed, did.encode())
