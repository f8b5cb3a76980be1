"""Changing an account's handle, e-mail address or password (what the admin may do).

A handle change sequences ``#identity`` in its own transaction, so relays learn of it;
an e-mail change forgets the confirmation and pending e-mail codes; a password change
revokes every session of the account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from exprsn_pds.accounts.creation import check_email, check_new_password
from exprsn_pds.accounts.lifecycle import require_account
from exprsn_pds.accounts.models import Account, EmailToken
from exprsn_pds.accounts.passwords import hash_password
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.identity.handles import normalize_account_handle, service_domain_of

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

#: The e-mail code a password change makes useless (the official PDS's purpose name).
RESET_PASSWORD_PURPOSE = "reset_password"


async def change_handle(pds: Pds, did: str, handle: str) -> str:
    """Give ``did`` the handle ``handle``; the normalized handle.

    The handle follows the rules of account creation (one 3-18 character label under a
    service domain). A handle elsewhere would have to resolve to ``did`` through DNS or
    HTTPS first, which this server does not check yet: 400 UnsupportedDomain.
    The change and its ``#identity`` event commit together, then the event is announced.
    """
    domains = pds.settings.service_handle_domains
    normalized = normalize_account_handle(handle, domains)
    if service_domain_of(normalized, domains) is None:
        raise InvalidRequest(
            f"Not a handle under this server's domains: {normalized}", error="UnsupportedDomain"
        )
    async with pds.database.transaction() as connection:
        account = await Account.select_for_update().get_or_none(did=did)
        if account is None:
            raise InvalidRequest("Account not found", error="AccountNotFound")
        holder = await Account.get_or_none(handle=normalized)
        if holder is not None and holder.did != did:
            raise InvalidRequest(f"Handle already taken: {normalized}", error="HandleNotAvailable")
        account.handle = normalized
        await account.save(update_fields=["handle"])
        event = await pds.sequencer.sequence(
            connection, did=did, type="identity", body={"did": did, "handle": normalized}
        )
    await pds.sequencer.publish(event)
    return normalized


async def change_email(pds: Pds, did: str, email: str) -> None:
    """Give ``did`` the address ``email`` (unconfirmed); its pending e-mail codes lapse."""
    address = check_email(email)
    async with pds.database.transaction():
        account = await Account.select_for_update().get_or_none(did=did)
        if account is None:
            raise InvalidRequest("Account not found", error="AccountNotFound")
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
