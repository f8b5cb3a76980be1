"""Password hashing in the official PDS's format, so migrated hashes keep working.

A hash is ``<salt>:<key>``: scrypt (N=16384, r=8, p=1, 64-byte key) over the password
with the hex ``salt`` string as salt, both parts lower-case hex. Account passwords get a
random 16-byte salt; app passwords a salt derived from the account's DID, so a login
can find one with a single lookup. Hashing is memory-hard (16 MiB) and runs in a
worker thread so it never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from typing import Final

SCRYPT_N: Final = 16384
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
KEY_BYTES: Final = 64
SALT_BYTES: Final = 16
SCRYPT_MAX_MEMORY: Final = 64 * 1024 * 1024

PASSWORD_MIN_LENGTH: Final = 8
NEW_PASSWORD_MAX_LENGTH: Final = 256
OLD_PASSWORD_MAX_LENGTH: Final = 512

APP_PASSWORD_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz234567"
APP_PASSWORD_GROUPS: Final = 4
APP_PASSWORD_GROUP_LENGTH: Final = 4


def _derive(password: str, salt: str) -> str:
    key = hashlib.scrypt(
        password.encode(),
        salt=salt.encode(),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=KEY_BYTES,
        maxmem=SCRYPT_MAX_MEMORY,
    )
    return key.hex()


async def hash_password(password: str) -> str:
    """A new ``salt:key`` hash of an account password."""
    salt = secrets.token_hex(SALT_BYTES)
    return f"{salt}:{await asyncio.to_thread(_derive, password, salt)}"


async def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored ``salt:key`` (constant-time comparison)."""
    salt, separator, key = stored.partition(":")
    if not separator:
        return False
    derived = await asyncio.to_thread(_derive, password, salt)
    return hmac.compare_digest(derived.encode(), key.encode())


def app_password_salt(did: str) -> str:
    """The salt of ``did``'s app passwords: the first 16 bytes of sha256(did), in hex."""
    return hashlib.sha256(did.encode()).digest()[:SALT_BYTES].hex()


async def hash_app_password(did: str, password: str) -> str:
    """The ``salt:key`` hash of one of ``did``'s app passwords (deterministic per DID)."""
    salt = app_password_salt(did)
    return f"{salt}:{await asyncio.to_thread(_derive, password, salt)}"


def generate_app_password() -> str:
    """A new app password: four groups of four base32 characters, ``xxxx-xxxx-xxxx-xxxx``."""
    groups = (
        "".join(secrets.choice(APP_PASSWORD_ALPHABET) for _ in range(APP_PASSWORD_GROUP_LENGTH))
        for _ in range(APP_PASSWORD_GROUPS)
    )
    return "-".join(groups)
