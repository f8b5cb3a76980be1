"""Changing an account's e-mail address or password (what the admin may do).

An e-mail change forgets the confirmation and pending e-mail codes; a password change
revokes every session of the account. Handles change through
:meth:`IdentityService.update_handle <exprsn_pds.identity.IdentityService.update_handle>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from exprsn_pds.accounts.creation import check_email, check_new_password
from exprsn_pds.accounts.lifecycle import require_account
from exprsn_pds.accounts.models import Account, EmailToken
from exprsn_pds.accounts.passwords import hash_password
from exprsn_pds.errors import AccountNotFound, InvalidRequest

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

#: The e-mail code a password change makes useless (the official PDS's purpose name).
RESET_PASSWORD_PURPOSE = "reset_password"


async def change_email(pds: Pds, did: str, email: str) -> None:
    """Give ``did`` the address ``email`` (unconfirmed); its pending e-mail codes lapse."""
    address = check_email(email)
    async with pds.database.transaction():
        account = await Account.select_for_update().get_or_none(did=did)
        if account is None:
            raise AccountNotFound()
        holder = await Account.get_or_none(email=address)
        if holder is not None and holder.did != did:
            raise InvalidRequest(f"Email already taken: {address}")
        account.email = address
        account.email_confirmed_at = None
        await account.save(update_fields=["email", "email_confirmed_at"])
        await EmailToken.filter(did=did).delete()


async def change_password(pds: Pds, did: str, password: str) -> None:
    """Give ``did`` the password ``password`` and revoke every session it has."""
    await require_account(did)
    password_hash = await hash_password(check_new_password(password))
    async with pds.database.transaction():
        await Account.filter(did=did).update(password_hash=password_hash)
        await EmailToken.filter(did=did, purpose=RESET_PASSWORD_PURPOSE).delete()
        await pds.sessions.revoke_all(did)
