"""What session methods answer about an account."""

from __future__ import annotations

from typing import Any

from exprsn_pds import INVALID_HANDLE, AccountInfo, Pds, SessionTokens, status_fields


async def session_view(
    pds: Pds, account: AccountInfo, tokens: SessionTokens | None = None, *, with_email: bool = True
) -> dict[str, Any]:
    """``did``, ``handle``, ``didDoc``, e-mail fields, status (and the tokens, if given)."""
    did_document = await pds.identity.hosted_did_document(account.did, account.handle)
    view: dict[str, Any] = {
        "did": account.did,
        "handle": account.handle or INVALID_HANDLE,
        **status_fields(account.status),
    }
    if did_document is not None:
        view["didDoc"] = did_document
    if with_email and account.email:
        view["email"] = account.email
        view["emailConfirmed"] = account.email_confirmed
        view["emailAuthFactor"] = False
    if tokens is not None:
        view["accessJwt"] = tokens.access_jwt
        view["refreshJwt"] = tokens.refresh_jwt
    return view
