"""Invite codes: the admin mints, lists and disables them; an account lists its own."""

from __future__ import annotations

from typing import Any

from exprsn_pds import AccountService, InvalidRequest, XrpcContext, caller_did

#: How many codes one createInviteCodes call may mint, unless ``[plugins.admin]`` says.
DEFAULT_MAX_CODES_PER_REQUEST = 1000
#: Whom a code belongs to when the admin names no account.
ADMIN_CREATOR = AccountService.ADMIN_CREATOR


def _use_count(value: int) -> int:
    if value < 1:
        raise InvalidRequest("useCount must be at least 1")
    return value


async def create_invite_code(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.createInviteCode``: one code, for an account or the admin."""
    body = ctx.input
    [code] = await ctx.pds.accounts.create_invite_codes(
        body.get("forAccount", ADMIN_CREATOR), uses=_use_count(body["useCount"])
    )
    return {"code": code}


async def create_invite_codes(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.createInviteCodes``: ``codeCount`` codes for each account."""
    body = ctx.input
    uses = _use_count(body["useCount"])
    accounts = list(dict.fromkeys(body.get("forAccounts") or [ADMIN_CREATOR]))
    count = body["codeCount"]
    most = ctx.pds.settings.plugin_config("admin").get(
        "max_invite_codes_per_request", DEFAULT_MAX_CODES_PER_REQUEST
    )
    if count < 1 or count * len(accounts) > most:
        raise InvalidRequest(f"Between 1 and {most} codes may be created at once")
    created = []
    for account in accounts:
        codes = await ctx.pds.accounts.create_invite_codes(account, uses=uses, count=count)
        created.append({"account": account, "codes": codes})
    return {"codes": created}


async def get_invite_codes(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.getInviteCodes``: every code, most recent or most used first."""
    params = ctx.params
    page, cursor = await ctx.pds.accounts.invite_codes(
        params["sort"], limit=params["limit"], cursor=params.get("cursor")
    )
    answer: dict[str, Any] = {"codes": [view.to_json() for view in page]}
    if cursor is not None:
        answer["cursor"] = cursor
    return answer


async def disable_invite_codes(ctx: XrpcContext) -> None:
    """``com.atproto.admin.disableInviteCodes``: the given codes, and every code of the accounts."""
    await ctx.pds.accounts.disable_invite_codes(
        ctx.input.get("codes") or [], ctx.input.get("accounts") or []
    )


async def enable_account_invites(ctx: XrpcContext) -> None:
    """``com.atproto.admin.enableAccountInvites``: the account's codes invite again."""
    await ctx.pds.accounts.set_invites_disabled(ctx.input["account"], False)


async def disable_account_invites(ctx: XrpcContext) -> None:
    """``com.atproto.admin.disableAccountInvites``: the account's codes stop inviting."""
    await ctx.pds.accounts.set_invites_disabled(ctx.input["account"], True)


async def get_account_invite_codes(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.getAccountInviteCodes``: the caller's own enabled codes.

    ``includeUsed: false`` leaves out used-up codes. Codes are minted by the admin here;
    accounts earn none over time (the official PDS's default, without an invite
    interval), so ``createAvailable`` has nothing to create.
    """
    views = await ctx.pds.accounts.account_invite_codes(
        caller_did(ctx.auth), include_used=ctx.params["includeUsed"]
    )
    return {"codes": [view.to_json() for view in views]}
