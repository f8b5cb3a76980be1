"""The admin's account methods: look up, search, change handle/e-mail/password, delete."""

from __future__ import annotations

from typing import Any

from exprsn_pds import InvalidRequest, SubjectNotFound, XrpcContext
from exprsn_pds.plugins.admin.views import account_views


async def get_account_info(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.getAccountInfo``: one account, whatever its standing."""
    did = ctx.params["did"]
    account = await ctx.pds.accounts.get(did)
    if account is None:
        raise SubjectNotFound(f"account {did}")
    [view] = await account_views(ctx.pds, [account])
    return view


async def get_account_infos(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.getAccountInfos``: the known accounts among ``dids``."""
    accounts = await ctx.pds.accounts.get_many(ctx.params["dids"])
    return {"infos": await account_views(ctx.pds, accounts)}


async def search_accounts(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.searchAccounts``: accounts whose e-mail or handle starts with ``email``.

    Without a term, every account. Ordered by DID; the cursor is the last DID returned.
    """
    params = ctx.params
    limit = params["limit"]
    accounts = await ctx.pds.accounts.search(
        params.get("email", ""), cursor=params.get("cursor"), limit=limit
    )
    answer: dict[str, Any] = {"accounts": await account_views(ctx.pds, accounts)}
    if len(accounts) == limit:
        answer["cursor"] = accounts[-1].did
    return answer


async def update_account_handle(ctx: XrpcContext) -> None:
    """``com.atproto.admin.updateAccountHandle``: a new handle; ``#identity`` announces it."""
    await ctx.pds.identity.update_handle(ctx.input["did"], ctx.input["handle"])


async def update_account_email(ctx: XrpcContext) -> None:
    """``com.atproto.admin.updateAccountEmail``: a new (unconfirmed) address for an account."""
    identifier = ctx.input["account"]  # a handle or a DID, not an e-mail address
    account = None if "@" in identifier else await ctx.pds.accounts.find(identifier)
    if account is None:
        raise InvalidRequest(f"Account does not exist: {identifier}")
    await ctx.pds.accounts.change_email(account.did, ctx.input["email"])


async def update_account_password(ctx: XrpcContext) -> None:
    """``com.atproto.admin.updateAccountPassword``: a new password; every session is revoked."""
    await ctx.pds.accounts.change_password(ctx.input["did"], ctx.input["password"])


async def delete_account(ctx: XrpcContext) -> None:
    """``com.atproto.admin.deleteAccount``: remove the account and all it has here."""
    await ctx.pds.accounts.delete(ctx.input["did"])
