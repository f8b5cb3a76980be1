"""What session methods answer about an account."""

from __future__ import annotations

from typing import Any

from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.sessions import SessionTokens
from exprsn_pds.accounts.status import account_status, status_fields
from exprsn_pds.identity import INVALID_HANDLE
from exprsn_pds.pds import Pds


async def session_view(
    pds: Pds, account: Account, tokens: SessionTokens | None = None, *, with_email: bool = True
) -> dict[str, Any]:
    """``did``, ``handle``, ``didDoc``, e-mail fields, status (and the tokens, if given)."""
    did_document = await pds.identity.hosted_did_document(account.did, account.handle)
    view: dict[str, Any] = {
        "did": account.did,
        "handle": account.handle or INVALID_HANDLE,
        **status_fields(account_status(account)),
    }
    if did_document is not None:
        view["didDoc"] = did_document
    if with_email and account.email:
        view["email"] = account.email
        view["emailConfirmed"] = account.email_confirmed_at is not None
        view["emailAuthFactor"] = False
    if tokens is not None:
        view["accessJwt"] = tokens.access_jwt
        view["refreshJwt"] = tokens.refresh_jwt
    return view
