"""Recovering and deleting an account by e-mailed code.

``requestPasswordReset`` (no session; the same answer whether or not the address
belongs to an account) and ``resetPassword`` (the code and a new password; every
session ends); ``requestAccountDelete`` (full session) and ``deleteAccount`` (DID,
password and code; everything the account has here goes).
"""

from __future__ import annotations

from exprsn_pds import (
    CodeMails,
    EmailTokenPurpose,
    XrpcContext,
    caller_did,
    send_code,
    send_code_quietly,
)


async def request_password_reset(ctx: XrpcContext) -> None:
    """E-mail a reset code if the address is an account's; answer alike either way."""
    account = await ctx.pds.accounts.by_email(ctx.input["email"])
    if account is None or not account.email:
        return
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.RESET_PASSWORD)
    await send_code_quietly(
        ctx.pds, CodeMails.RESET_PASSWORD, to=account.email, token=token, handle=account.handle
    )


async def reset_password(ctx: XrpcContext) -> None:
    """Set a new password with a reset code; every refresh token of the account is revoked."""
    await ctx.pds.accounts.reset_password(ctx.input["token"], ctx.input["password"])


async def request_account_delete(ctx: XrpcContext) -> None:
    """E-mail the code that ``deleteAccount`` asks for."""
    account, email = await ctx.pds.accounts.require_with_email(caller_did(ctx.auth))
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.DELETE_ACCOUNT)
    await send_code(ctx.pds, CodeMails.DELETE_ACCOUNT, to=email, token=token, handle=account.handle)


async def delete_account(ctx: XrpcContext) -> None:
    """Delete the account, given its DID, password and a code from ``requestAccountDelete``."""
    did, password, token = ctx.input["did"], ctx.input["password"], ctx.input["token"]
    await ctx.pds.accounts.check_password(did, password)
    await ctx.pds.email_tokens.check(did, EmailTokenPurpose.DELETE_ACCOUNT, token)
    await ctx.pds.accounts.delete(did)
