"""The admin's account methods: look up, search, change handle/e-mail/password, delete."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from exprsn_pds import XrpcContext
from exprsn_pds.accounts import lifecycle
from exprsn_pds.accounts.lookup import find_account
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.updates import change_email, change_password
from exprsn_pds.errors import InvalidRequest, SubjectNotFound
from exprsn_pds.plugins.admin.views import account_views


async def get_account_info(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.getAccountInfo``: one account, whatever its standing."""
    account = await Account.get_or_none(did=ctx.params["did"])
    if account is None:
        raise SubjectNotFound(f"account {ctx.params['did']}")
    [view] = await account_views([account])
    return view


async def get_account_infos(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.getAccountInfos``: the known accounts among ``dids``."""
    dids = list(dict.fromkeys(ctx.params["dids"]))
    found = {account.did: account for account in await Account.filter(did__in=dids)}
    return {"infos": await account_views([found[did] for did in dids if did in found])}


async def search_accounts(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.searchAccounts``: accounts whose e-mail or handle starts with ``email``.

    Without a term, every account. Ordered by DID; the cursor is the last DID returned.
    """
    params = ctx.params
    limit = params["limit"]
    query = Account.all()
    if term := params.get("email", "").strip().lower():
        query = query.filter(Q(email__startswith=term) | Q(handle__startswith=term))
    if cursor := params.get("cursor"):
        query = query.filter(did__gt=cursor)
    accounts = await query.order_by("did").limit(limit)
    answer: dict[str, Any] = {"accounts": await account_views(accounts)}
    if len(accounts) == limit:
        answer["cursor"] = accounts[-1].did
    return answer


async def update_account_handle(ctx: XrpcContext) -> None:
    """``com.atproto.admin.updateAccountHandle``: a new handle; ``#identity`` announces it."""
    await ctx.pds.identity.update_handle(ctx.input["did"], ctx.input["handle"])


async def update_account_email(ctx: XrpcContext) -> None:
    """``com.atproto.admin.updateAccountEmail``: a new (unconfirmed) address for an account."""
    identifier = ctx.input["account"]  # a handle or a DID, not an e-mail address
    account = None if "@" in identifier else await find_account(identifier)
    if account is None:
        raise InvalidRequest(f"Account does not exist: {identifier}")
    await change_email(ctx.pds, account.did, ctx.input["email"])


async def update_account_password(ctx: XrpcContext) -> None:
    """``com.atproto.admin.updateAccountPassword``: a new password; every session is revoked."""
    await change_password(ctx.pds, ctx.input["did"], ctx.input["password"])


async def delete_account(ctx: XrpcContext) -> None:
    """``com.atproto.admin.deleteAccount``: remove the account and all it has here."""
    await lifecycle.delete_account(ctx.pds, ctx.input["did"])
