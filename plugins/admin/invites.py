"""Invite codes: the admin mints, lists and disables them; an account lists its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import Q, RawSQL

from exprsn_pds import XrpcContext
from exprsn_pds.accounts.invites import ADMIN_CREATOR, create_codes, describe_codes
from exprsn_pds.accounts.lifecycle import require_account
from exprsn_pds.accounts.models import Account, InviteCode
from exprsn_pds.auth import caller_did
from exprsn_pds.errors import InvalidRequest

#: How many codes one createInviteCodes call may mint, unless ``[plugins.admin]`` says.
DEFAULT_MAX_CODES_PER_REQUEST = 1000
CURSOR_SEPARATOR = "::"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
# The number of uses of each invite code, as a column both databases understand.
USES_SQL = "(SELECT COUNT(*) FROM invite_code_use WHERE invite_code_use.code = invite_code.code)"


def _use_count(value: int) -> int:
    if value < 1:
        raise InvalidRequest("useCount must be at least 1")
    return value


async def create_invite_code(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.createInviteCode``: one code, for an account or the admin."""
    body = ctx.input
    [code] = await create_codes(
        ctx.pds.settings.hostname,
        for_account=body.get("forAccount", ADMIN_CREATOR),
        uses=_use_count(body["useCount"]),
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
        codes = await create_codes(
            ctx.pds.settings.hostname, for_account=account, uses=uses, count=count
        )
        created.append({"account": account, "codes": codes})
    return {"codes": created}


def _parse_cursor(cursor: str) -> tuple[str, str]:
    primary, separator, code = cursor.partition(CURSOR_SEPARATOR)
    if not separator or not primary.isdigit():
        raise InvalidRequest("Malformed cursor")
    return primary, code


async def get_invite_codes(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.getInviteCodes``: every code, most recent or most used first.

    The cursor is ``<primary>::<code>`` of the last code, like the official PDS's, where
    ``<primary>`` is the number of uses, or the creation time in microseconds since the
    epoch (the precision the database keeps, so no code is skipped or repeated).
    """
    params = ctx.params
    sort, limit = params["sort"], params["limit"]
    query = InviteCode.all().annotate(uses=RawSQL(USES_SQL))
    cursor = params.get("cursor")
    if sort == "recent":
        if cursor:
            micros, code = _parse_cursor(cursor)
            moment = EPOCH + dt.timedelta(microseconds=int(micros))
            query = query.filter(
                Q(created_at__lt=moment) | (Q(created_at=moment) & Q(code__lt=code))
            )
        query = query.order_by("-created_at", "-code")
    elif sort == "usage":
        if cursor:
            count, code = _parse_cursor(cursor)
            query = query.filter(Q(uses__lt=int(count)) | (Q(uses=int(count)) & Q(code__lt=code)))
        query = query.order_by("-uses", "-code")
    else:
        raise InvalidRequest(f"unknown sort method: {sort}")
    page = await query.limit(limit)
    answer: dict[str, Any] = {"codes": [view.to_json() for view in await describe_codes(page)]}
    if page:
        last = page[-1]
        primary = (
            (last.created_at - EPOCH) // MICROSECOND if sort == "recent" else last.uses  # type: ignore[attr-defined]
        )
        answer["cursor"] = f"{primary}{CURSOR_SEPARATOR}{last.code}"
    return answer


async def disable_invite_codes(ctx: XrpcContext) -> None:
    """``com.atproto.admin.disableInviteCodes``: the given codes, and every code of the accounts."""
    codes = ctx.input.get("codes") or []
    accounts = ctx.input.get("accounts") or []
    if ADMIN_CREATOR in accounts:
        raise InvalidRequest("cannot disable admin invite codes")
    if codes:
        await InviteCode.filter(code__in=codes).update(disabled=True)
    if accounts:
        await InviteCode.filter(for_account__in=accounts).update(disabled=True)


async def _set_account_invites_disabled(did: str, disabled: bool) -> None:
    await require_account(did)
    await Account.filter(did=did).update(invites_disabled=disabled)


async def enable_account_invites(ctx: XrpcContext) -> None:
    """``com.atproto.admin.enableAccountInvites``: the account's codes invite again."""
    await _set_account_invites_disabled(ctx.input["account"], False)


async def disable_account_invites(ctx: XrpcContext) -> None:
    """``com.atproto.admin.disableAccountInvites``: the account's codes stop inviting."""
    await _set_account_invites_disabled(ctx.input["account"], True)


async def get_account_invite_codes(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.getAccountInviteCodes``: the caller's own enabled codes.

    ``includeUsed: false`` leaves out used-up codes. Codes are minted by the admin here;
    accounts earn none over time (the official PDS's default, without an invite
    interval), so ``createAvailable`` has nothing to create.
    """
    codes = await InviteCode.filter(for_account=caller_did(ctx.auth), disabled=False).order_by(
        "-created_at", "-code"
    )
    views = await describe_codes(codes)
    if not ctx.params["includeUsed"]:
        views = [view for view in views if len(view.uses) < view.code.available_uses]
    return {"codes": [view.to_json() for view in views]}
