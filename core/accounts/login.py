"""Checking a login (identifier and password, or an app password) and an account's password."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from exprsn_pds.accounts.info import AccountInfo
from exprsn_pds.accounts.lookup import find_account
from exprsn_pds.accounts.models import Account, AppPassword
from exprsn_pds.accounts.passwords import (
    OLD_PASSWORD_MAX_LENGTH,
    hash_app_password,
    verify_password,
)
from exprsn_pds.accounts.sessions import AppPasswordGrant
from exprsn_pds.errors import AuthRequired, InvalidRequest

INVALID_LOGIN = "Invalid identifier or password"


@dataclass(frozen=True)
class Login:
    """A successful login: the account, and the app password used (if one was)."""

    account: AccountInfo
    app_password: AppPasswordGrant | None


async def check_login(identifier: str, password: str, *, min_duration_s: float) -> Login:
    """The account ``identifier`` names, if ``password`` is its password or an app password.

    Every attempt, right or wrong, takes at least ``min_duration_s``, so response times
    do not tell which accounts exist. 401 AuthRequired otherwise, with one message for
    every failure. A taken-down account cannot log in with an app password.
    """
    started = time.monotonic()
    try:
        return await _check(identifier, password)
    finally:
        remaining = min_duration_s - (time.monotonic() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)


async def _check(identifier: str, password: str) -> Login:
    _check_length(password)
    account = await find_account(identifier)
    if account is None:
        raise AuthRequired(INVALID_LOGIN)
    if account.password_hash and await verify_password(password, account.password_hash):
        return Login(AccountInfo.of(account), None)
    if account.takedown_ref:
        raise AuthRequired(INVALID_LOGIN)
    hashed = await hash_app_password(account.did, password)
    app_password = await AppPassword.get_or_none(did=account.did, password_hash=hashed)
    if app_password is None:
        raise AuthRequired(INVALID_LOGIN)
    return Login(
        AccountInfo.of(account), AppPasswordGrant(app_password.name, app_password.privileged)
    )


def _check_length(password: str) -> None:
    if len(password) > OLD_PASSWORD_MAX_LENGTH:
        raise AuthRequired("Password too long. Consider resetting your password.")


async def check_password(did: str, password: str) -> None:
    """Nothing if ``password`` is account ``did``'s own password (not an app password).

    400 when there is no such account, 401 AuthRequired when the password is wrong.
    """
    _check_length(password)
    account = await Account.get_or_none(did=did)
    if account is None:
        raise InvalidRequest("account not found")
    if not account.password_hash or not await verify_password(password, account.password_hash):
        raise AuthRequired("Invalid did or password")
