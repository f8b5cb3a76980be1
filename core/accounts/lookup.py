"""Finding an account by what a person types: handle, e-mail address or DID."""

from __future__ import annotations

from exprsn_pds.accounts.models import Account
from exprsn_pds.syntax import Did, Handle


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
