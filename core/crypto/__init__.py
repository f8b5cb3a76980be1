"""Keys, signatures and encryption at rest.

- :class:`PrivateKey` / :class:`PublicKey`: ECDSA on the two atproto curves (``k256``,
  ``p256``) with 64-byte low-S compact signatures, did:key and Multikey encodings
  (:func:`parse_did_key`, :func:`parse_multikey`).
- :class:`MasterKeyring`: AES-256-GCM envelopes for private keys at rest, several master
  keys by id, one current; :func:`load_master_keyring` and :func:`rotate` manage them,
  :class:`KeyringSource` follows a rotation in a running server.
"""

from exprsn_pds.crypto.curves import Curve
from exprsn_pds.crypto.errors import InvalidKey, KeyringError, UnknownMasterKey
from exprsn_pds.crypto.keyring import MasterKeyring, key_id_for
from exprsn_pds.crypto.keyring_file import (
    KeyringSource,
    load_master_keyring,
    master_keys_path,
    rotate,
)
from exprsn_pds.crypto.keys import PrivateKey, PublicKey, parse_did_key, parse_multikey

__all__ = [
    "Curve",
    "InvalidKey",
    "KeyringError",
    "KeyringSource",
    "MasterKeyring",
    "PrivateKey",
    "PublicKey",
    "UnknownMasterKey",
    "key_id_for",
    "load_master_keyring",
    "master_keys_path",
    "parse_did_key",
    "parse_multikey",
    "rotate",
]
