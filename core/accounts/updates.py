"""Changing an account's e-mail address or password: the one implementation every caller uses.

An e-mail change (``updateEmail``, the admin's ``updateAccountEmail``) leaves the new
address unconfirmed and drops every pending e-mail code; the account's own change needs
a code sent to the old address when that one is confirmed. A password change
(``resetPassword`` with its code, the admin's ``updateAccountPassword``) revokes every
session of the account and the reset codes that remain. Handles change through
:meth:`IdentityService.update_handle <exprsn_pds.identity.IdentityService.update_handle>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from exprsn_pds.accounts.creation import check_email, check_new_password
from exprsn_pds.accounts.email_tokens import EmailTokenPurpose
from exprsn_pds.accounts.lookup import require_account
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.passwords import hash_password
from exprsn_pds.errors import AccountNotFound, InvalidRequest

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds


def _email_taken(address: str) -> InvalidRequest:
    return InvalidRequest(f"Email already taken: {address}")


async def change_email(pds: Pds, did: str, email: str, *, token: str | None = None) -> None:
    """Give ``did`` the address ``email`` (lower-cased, unique, unconfirmed).

    ``token``, an ``update_email`` code, is spent in the same transaction when given.
    Every pending e-mail code of the account lapses.
    """
    address = check_email(email)
    tokens = pds.email_tokens
    try:
        async with pds.database.transaction() as connection:
            locked = Account.select_for_update().using_db(connection)
            if await locked.get_or_none(did=did) is None:
                raise AccountNotFound()
            if await Account.filter(email=address).exclude(did=did).using_db(connection).exists():
                raise _email_taken(address)
            if token:
                await tokens.consume(
                    did, EmailTokenPurpose.UPDATE_EMAIL, token, connection=connection
                )
            await Account.filter(did=did).using_db(connection).update(
                email=address, email_confirmed_at=None
            )
            await tokens.delete_all(did, connection=connection)
    except IntegrityError as error:
        raise _email_taken(address) from error


async def update_own_email(pds: Pds, did: str, email: str, token: str | None) -> None:
    """The account's own change: :func:`change_email`, with the code ``requestEmailUpdate``
    sent to the current address when that one is confirmed (400 TokenRequired without)."""
    address = check_email(email)
    account = await require_account(did)
    if not token and account.email_confirmed_at is not None:
        raise InvalidRequest("confirmation token required", error="TokenRequired")
    await change_email(pds, did, address, token=token)


async def confirm_email(pds: Pds, did: str, email: str, token: str) -> None:
    """Mark ``did``'s address confirmed, given the address and the code sent to it."""
    account = await require_account(did)
    if account.email is None or account.email != email.strip().lower():
        raise InvalidRequest("invalid email", error="InvalidEmail")
    tokens = pds.email_tokens
    async with pds.database.transaction() as connection:
        await tokens.consume(did, EmailTokenPurpose.CONFIRM_EMAIL, token, connection=connection)
        await Account.filter(did=did).using_db(connection).update(
            email_confirmed_at=tokens.clock()
        )


async def change_password(
    pds: Pds, did: str, password: str, *, reset_token: str | None = None
) -> None:
    """Give ``did`` the password ``password``; every session of the account is revoked.

    ``reset_token`` (``resetPassword``) is spent in the same transaction; the account's
    other reset codes lapse either way.
    """
    await require_account(did)
    password_hash = await hash_password(check_new_password(password))
    tokens = pds.email_tokens
    async with pds.database.transaction() as connection:
        if reset_token is not None:
            await tokens.consume(
                did, EmailTokenPurpose.RESET_PASSWORD, reset_token, connection=connection
            )
        await Account.filter(did=did).using_db(connection).update(password_hash=password_hash)
        await tokens.delete(did, EmailTokenPurpose.RESET_PASSWORD, connection=connection)
        await pds.sessions.revoke_all(did, connection=connection)


async def reset_password(pds: Pds, token: str, password: str) -> None:
    """Set a new password with a reset code (which names the account)."""
    check_new_password(password)
    did = await pds.email_tokens.find_by_token(EmailTokenPurpose.RESET_PASSWORD, token)
    await change_password(pds, did, password, reset_token=token)
