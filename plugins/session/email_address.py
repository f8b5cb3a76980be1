"""Confirming and changing the account's e-mail address.

``requestEmailConfirmation``/``confirmEmail`` (any session of an account that is not
taken down) and ``requestEmailUpdate``/``updateEmail`` (full sessions only: an app
password cannot change the address). A confirmed address can only be changed with a
code sent to it; a new address starts unconfirmed.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from exprsn_pds import XrpcContext
from exprsn_pds.accounts.creation import check_email
from exprsn_pds.accounts.email_tokens import EmailTokenPurpose
from exprsn_pds.accounts.lifecycle import require_account, require_account_with_email
from exprsn_pds.accounts.models import Account
from exprsn_pds.auth import caller_did
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.mail.codes import CodeMails, send_code


async def request_email_confirmation(ctx: XrpcContext) -> None:
    """E-mail a confirmation code to the account's address."""
    account, email = await require_account_with_email(caller_did(ctx.auth))
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.CONFIRM_EMAIL)
    await send_code(ctx.pds, CodeMails.CONFIRM_EMAIL, to=email, token=token, handle=account.handle)


async def confirm_email(ctx: XrpcContext) -> None:
    """Mark the address confirmed, given the address and the code sent to it."""
    did = caller_did(ctx.auth)
    account = await require_account(did)
    if account.email is None or account.email != ctx.input["email"].strip().lower():
        raise InvalidRequest("invalid email", error="InvalidEmail")
    tokens = ctx.pds.email_tokens
    async with ctx.pds.database.transaction():
        await tokens.consume(did, EmailTokenPurpose.CONFIRM_EMAIL, ctx.input["token"])
        await Account.filter(did=did).update(email_confirmed_at=tokens.clock())


async def request_email_update(ctx: XrpcContext) -> dict[str, Any]:
    """Whether changing the address needs a code; if so, e-mail one to the current address."""
    account, email = await require_account_with_email(caller_did(ctx.auth))
    if account.email_confirmed_at is None:
        return {"tokenRequired": False}
    token = await ctx.pds.email_tokens.create(account.did, EmailTokenPurpose.UPDATE_EMAIL)
    await send_code(ctx.pds, CodeMails.UPDATE_EMAIL, to=email, token=token, handle=account.handle)
    return {"tokenRequired": True}


async def update_email(ctx: XrpcContext) -> None:
    """Change the address (lower-cased, unique); it starts unconfirmed.

    A code from ``requestEmailUpdate`` is required when the current address is confirmed.
    Every outstanding code of the account is dropped.
    """
    did = caller_did(ctx.auth)
    email = check_email(ctx.input["email"])
    token: str | None = ctx.input.get("token")
    account = await require_account(did)
    if not token and account.email_confirmed_at is not None:
        raise InvalidRequest("confirmation token required", error="TokenRequired")
    if await Account.filter(email=email).exclude(did=did).exists():
        raise InvalidRequest(f"Email already taken: {email}")
    tokens = ctx.pds.email_tokens
    try:
        async with ctx.pds.database.transaction():
            if token:
                await tokens.consume(did, EmailTokenPurpose.UPDATE_EMAIL, token)
            await Account.filter(did=did).update(email=email, email_confirmed_at=None)
            await tokens.delete_all(did)
    except IntegrityError as error:
        raise InvalidRequest(f"Email already taken: {email}") from error
