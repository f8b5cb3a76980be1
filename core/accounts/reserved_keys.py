"""Signing keys reserved for accounts moving here (``com.atproto.server.reserveSigningKey``).

A moving account needs its new repo signing key before it exists here: the PLC
operation that points its DID at this server must name that key. So an anonymous
caller may reserve a key for a DID; reserving again for the same DID returns the same
key, and ``createAccount`` with that DID creates the repo with it and deletes the
reservation. Without a DID the key is filed under its own ``did:key`` (as the official
PDS does); nothing consumes it, it only expires.

Private keys are sealed at rest under the master keyring exactly like repo signing keys
(:class:`~exprsn_pds.repo.keys.RepoKeys`, bound to the DID they are filed under).
Anonymous reservations must not fill the database: each lives
``accounts.reserved_signing_key_ttl_s`` (then it is neither returned nor used), and
expired ones are deleted whenever a key is reserved. The clock is injectable
(``ReservedKeys.clock``), so expiry is tested by moving time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from exprsn_pds.accounts.creation import SIGNING_KEY_CURVE
from exprsn_pds.accounts.models import DID_MAX_LENGTH
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.repo.keys import RepoKeys

CURVE_MAX_LENGTH = 8

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)


class ReservedSigningKey(Model):
    """A signing key reserved for ``did``, until ``expires_at``."""

    did = fields.CharField(max_length=DID_MAX_LENGTH, primary_key=True)
    signing_key = fields.BinaryField(description="AES-256-GCM envelope of the private key")
    signing_key_curve = fields.CharField(max_length=CURVE_MAX_LENGTH)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "reserved_signing_key"


class ReservedKeys:
    """Reserves and returns signing keys for DIDs not hosted here yet; spends them once."""

    def __init__(self, *, ttl_s: int, clock: Clock = utc_now) -> None:
        self.ttl = dt.timedelta(seconds=ttl_s)
        self.clock = clock

    async def reserve(self, keys: RepoKeys, did: str | None) -> PrivateKey:
        """The live key reserved for ``did`` (a new one if there is none); without
        ``did``, a new key filed under its own ``did:key``."""
        now = self.clock()
        await ReservedSigningKey.filter(expires_at__lte=now).delete()
        if did is not None:
            existing = await self.find(keys, did)
            if existing is not None:
                return existing
        key = PrivateKey.generate(SIGNING_KEY_CURVE)
        owner = did or key.public_key().did_key()
        try:
            await ReservedSigningKey.create(
                did=owner,
                signing_key=keys.seal(owner, key),
                signing_key_curve=SIGNING_KEY_CURVE,
                expires_at=now + self.ttl,
            )
        except IntegrityError:
            # A concurrent call reserved a key for this DID first: that one is the key.
            raced = await self.find(keys, owner)
            if raced is None:
                raise
            return raced
        return key

    async def spend(self, connection: BaseDBAsyncClient, did: str) -> None:
        """Delete ``did``'s reservation, on ``connection``: the transaction that creates the
        repo with the key, so it is spent exactly when that commits."""
        await ReservedSigningKey.filter(did=did).using_db(connection).delete()

    async def find(self, keys: RepoKeys, did: str) -> PrivateKey | None:
        """The live key reserved for ``did``, if any."""
        row = await ReservedSigningKey.get_or_none(did=did, expires_at__gt=self.clock())
        if row is None:
            return None
        return keys.open(did, bytes(row.signing_key), row.signing_key_curve)
