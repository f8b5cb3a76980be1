"""E-mailed codes: ``XXXXX-XXXXX``, one live code per purpose and account, single use.

A code is ten characters of the upper-case base32 alphabet (``A-Z``, ``2-7``: 50 random
bits) in two groups of five, as the official PDS makes them. Requesting a new code for
the same purpose replaces the old one; a code expires ``ttl_s`` after it was requested
(15 minutes by default) and is deleted when it is used. A wrong code is 400
InvalidToken, an expired one 400 ExpiredToken, as the official PDS answers.

The clock is injectable (``EmailTokens.clock``), so expiry is tested by moving time.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from collections.abc import Callable
from enum import StrEnum
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from exprsn_pds.accounts.models import EmailToken
from exprsn_pds.errors import ExpiredToken, InvalidRequest

TOKEN_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
TOKEN_GROUPS: Final = 2
TOKEN_GROUP_LENGTH: Final = 5
TOKEN_PATTERN: Final = re.compile(r"[A-Z2-7]{5}-[A-Z2-7]{5}")
CREATE_ATTEMPTS: Final = 3

Clock = Callable[[], dt.datetime]


class EmailTokenPurpose(StrEnum):
    """What a code allows (the official PDS's purposes)."""

    CONFIRM_EMAIL = "confirm_email"
    UPDATE_EMAIL = "update_email"
    RESET_PASSWORD = "reset_password"
    DELETE_ACCOUNT = "delete_account"
    PLC_OPERATION = "plc_operation"


def utc_now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)


def generate_token() -> str:
    """A new random code, ``XXXXX-XXXXX``."""
    groups = (
        "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_GROUP_LENGTH))
        for _ in range(TOKEN_GROUPS)
    )
    return "-".join(groups)


def normalize_token(token: str) -> str:
    """A code as typed, trimmed and upper-cased (codes are case-insensitive)."""
    return token.strip().upper()


def _invalid() -> InvalidRequest:
    return InvalidRequest("Token is invalid", error="InvalidToken")


class EmailTokens:
    """Creates, checks and spends e-mailed codes (rows of :class:`EmailToken`)."""

    def __init__(self, *, ttl_s: int, clock: Clock = utc_now) -> None:
        self.ttl = dt.timedelta(seconds=ttl_s)
        self.clock = clock

    async def create(self, did: str, purpose: EmailTokenPurpose) -> str:
        """A new code for ``purpose``; it replaces the account's previous one."""
        for _ in range(CREATE_ATTEMPTS):
            token = generate_token()
            now = self.clock()
            try:
                updated = await EmailToken.filter(purpose=purpose.value, did=did).update(
                    token=token, requested_at=now
                )
                if not updated:
                    await EmailToken.create(
                        purpose=purpose.value, did=did, token=token, requested_at=now
                    )
            except IntegrityError:
                # A concurrent request created the row, or another account holds the
                # same code for this purpose: draw again.
                continue
            return token
        raise IntegrityError("could not store a new e-mail token")

    async def check(
        self,
        did: str,
        purpose: EmailTokenPurpose,
        token: str,
        *,
        connection: BaseDBAsyncClient | None = None,
    ) -> EmailToken:
        """The live code row, if ``token`` is the account's code for ``purpose``.

        Compared in constant time. 400 InvalidToken or ExpiredToken otherwise.
        """
        row = await EmailToken.get_or_none(purpose=purpose.value, did=did, using_db=connection)
        given = normalize_token(token).encode()
        if row is None or not hmac.compare_digest(row.token.encode(), given):
            raise _invalid()
        self._check_fresh(row)
        return row

    async def consume(
        self,
        did: str,
        purpose: EmailTokenPurpose,
        token: str,
        *,
        connection: BaseDBAsyncClient | None = None,
    ) -> None:
        """Check the code, then delete it: it works once.

        Pass ``connection``, the transaction that applies what the code allows, so a code
        is spent exactly when its effect is committed.
        """
        await self._spend(await self.check(did, purpose, token, connection=connection), connection)

    async def find_by_token(self, purpose: EmailTokenPurpose, token: str) -> str:
        """The DID of the account whose live code for ``purpose`` is ``token``.

        For ``resetPassword``, whose code names no account; spend it with
        :meth:`consume`. 400 InvalidToken or ExpiredToken otherwise.
        """
        normalized = normalize_token(token)
        if not TOKEN_PATTERN.fullmatch(normalized):
            raise _invalid()
        row = await EmailToken.get_or_none(purpose=purpose.value, token=normalized)
        if row is None:
            raise _invalid()
        self._check_fresh(row)
        return row.did

    async def delete_all(self, did: str, *, connection: BaseDBAsyncClient | None = None) -> None:
        """Forget every code of the account (its e-mail address changed); on ``connection``'s
        transaction when given."""
        await EmailToken.filter(did=did).using_db(connection).delete()

    async def delete(
        self, did: str, purpose: EmailTokenPurpose, *, connection: BaseDBAsyncClient | None = None
    ) -> None:
        """Forget the account's code for ``purpose`` (what it allowed was done another way);
        on ``connection``'s transaction when given."""
        await EmailToken.filter(did=did, purpose=purpose.value).using_db(connection).delete()

    def _check_fresh(self, row: EmailToken) -> None:
        if row.requested_at + self.ttl <= self.clock():
            raise ExpiredToken("Token is expired")

    @staticmethod
    async def _spend(row: EmailToken, connection: BaseDBAsyncClient | None) -> None:
        spent = await EmailToken.filter(id=row.id, token=row.token).using_db(connection).delete()
        if not spent:
            raise _invalid()
