"""Recovering and deleting an account by e-mailed code.

``requestPasswordReset`` (no session; the same answer whether or not the address
belongs to an account) and ``resetPassword`` (the code and a new password; every
session ends); ``requestAccountDelete`` (full session) and ``deleteAccount`` (DID,
password and code; everything the account has here goes).
"""

from __future__ import annotations

from exprsn_pds import XrpcContext
from exprsn_pds.accounts import lifecycle
from exprsn_pds.accounts.creation import check_new_password
from exprsn_pds.accounts.email_tokens import EmailTokenPurpose
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.passwords import OLD_PASSWORD_MAX_LENGTH, hash_password, verify_password
from exprsn_pds.auth import caller_did
from exprsn_pds.errors import AuthRequired, InvalidRequest
from exprsn_pds.mail.codes import CodeMails, send_code, send_code_quietly


async def request_password_reset(ctx: XrpcContext) -> None:
    """E-mail a reset code if the address is an account's; answer alike either way."""
    email = ctx.input["email"].strip().lower()
    account = await Account.get_or_none(email=email)
    if account is None or not account.email:
        return
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.RESET_PASSWORD)
    await send_code_quietly(
        ctx.pds, CodeMails.RESET_PASSWORD, to=account.email, token=token, handle=account.handle
    )


async def reset_password(ctx: XrpcContext) -> None:
    """Set a new password with a reset code; every refresh token of the account is revoked."""
    password = check_new_password(ctx.input["password"])
    token = ctx.input["token"]
    tokens = ctx.pds.email_tokens
    did = await tokens.find_by_token(EmailTokenPurpose.RESET_PASSWORD, token)
    password_hash = await hash_password(password)
    async with ctx.pds.database.transaction():
        await tokens.consume(did, EmailTokenPurpose.RESET_PASSWORD, token)
        await Account.filter(did=did).update(password_hash=password_hash)
        await ctx.pds.sessions.revoke_all(did)


async def request_account_delete(ctx: XrpcContext) -> None:
    """E-mail the code that ``deleteAccount`` asks for."""
    account, email = await lifecycle.require_account_with_email(caller_did(ctx.auth))
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.DELETE_ACCOUNT)
    await send_code(ctx.pds, CodeMails.DELETE_ACCOUNT, to=email, token=token, handle=account.handle)


async def delete_account(ctx: XrpcContext) -> None:
    """Delete the account, given its DID, password and a code from ``requestAccountDelete``."""
    did, password, token = ctx.input["did"], ctx.input["password"], ctx.input["token"]
    if len(password) > OLD_PASSWORD_MAX_LENGTH:
        raise AuthRequired("Password too long. Consider resetting your password.")
    account = await Account.get_or_none(did=did)
    if account is None:
        raise InvalidRequest("account not found")
    if not account.password_hash or not await verify_password(password, account.password_hash):
        raise AuthRequired("Invalid did or password")
    await ctx.pds.email_tokens.check(did, EmailTokenPurpose.DELETE_ACCOUNT, token)
    await lifecycle.delete_account(ctx.pds, did)
