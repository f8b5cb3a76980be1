"""Confirming and changing the account's e-mail address.

``requestEmailConfirmation``/``confirmEmail`` (any session of an account that is not
taken down) and ``requestEmailUpdate``/``updateEmail`` (full sessions only: an app
password cannot change the address). A confirmed address can only be changed with a
code sent to it; a new address starts unconfirmed.
"""

from __future__ import annotations

from typing import Any

from exprsn_pds import CodeMails, EmailTokenPurpose, XrpcContext, caller_did, send_code


async def request_email_confirmation(ctx: XrpcContext) -> None:
    """E-mail a confirmation code to the account's address."""
    account, email = await ctx.pds.accounts.require_with_email(caller_did(ctx.auth))
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.CONFIRM_EMAIL)
    await send_code(ctx.pds, CodeMails.CONFIRM_EMAIL, to=email, token=token, handle=account.handle)


async def confirm_email(ctx: XrpcContext) -> None:
    """Mark the address confirmed, given the address and the code sent to it."""
    await ctx.pds.accounts.confirm_email(
        caller_did(ctx.auth), ctx.input["email"], ctx.input["token"]
    )


async def request_email_update(ctx: XrpcContext) -> dict[str, Any]:
    """Whether changing the address needs a code; if so, e-mail one to the current address."""
    account, email = await ctx.pds.accounts.require_with_email(caller_did(ctx.auth))
    if not account.email_confirmed:
        return {"tokenRequired": False}
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.UPDATE_EMAIL)
    await send_code(ctx.pds, CodeMails.UPDATE_EMAIL, to=email, token=token, handle=account.handle)
    return {"tokenRequired": True}


async def update_email(ctx: XrpcContext) -> None:
    """Change the address (lower-cased, unique); it starts unconfirmed.

    A code from ``requestEmailUpdate`` is required when the current address is confirmed.
    Every outstanding code of the account is dropped.
    """
    await ctx.pds.accounts.update_own_email(
        caller_did(ctx.auth), ctx.input["email"], ctx.input.get("token")
    )
