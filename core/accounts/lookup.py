"""Finding an account: by what a person types (handle, e-mail or DID), or by DID or fail."""

from __future__ import annotations

from exprsn_pds.accounts.models import Account
from exprsn_pds.errors import AccountNotFound, InvalidRequest
from exprsn_pds.syntax import Did, Handle

NO_EMAIL = "account does not have an email address"


async def find_account(identifier: str) -> Account | None:
    """The account ``identifier`` names (case-insensitive for handles and e-mail)."""
    normalized = identifier.strip().lower()
    if "@" in normalized:
        return await Account.get_or_none(email=normalized)
    if normalized.startswith("did:") and Did.is_valid(identifier.strip()):
        return await Account.get_or_none(did=identifier.strip())
    if Handle.is_valid(normalized):
        return await Account.get_or_none(handle=normalized)
    return None


async def require_account(did: str) -> Account:
    """The account ``did``; 400 AccountNotFound when there is none."""
    account = await Account.get_or_none(did=did)
    if account is None:
        raise AccountNotFound()
    return account


async def require_account_with_email(did: str) -> tuple[Account, str]:
    """The account ``did`` and its e-mail address; 400 when it has none."""
    account = await require_account(did)
    if not account.email:
        raise InvalidRequest(NO_EMAIL)
    return account, account.email
