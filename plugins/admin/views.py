"""``com.atproto.admin.defs#accountView``: what the admin sees of an account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from exprsn_pds.accounts.invites import describe_codes
from exprsn_pds.accounts.models import Account, InviteCode, InviteCodeUse
from exprsn_pds.identity import INVALID_HANDLE
from exprsn_pds.syntax import Datetime


def iso(moment: dt.datetime) -> str:
    """A stored timestamp in the atproto datetime form."""
    return str(Datetime.from_datetime(moment))


async def account_views(accounts: Sequence[Account]) -> list[dict[str, Any]]:
    """Views of ``accounts`` (in order) with their invite codes and the code that invited them."""
    dids = [account.did for account in accounts]
    if not dids:
        return []
    own = await describe_codes(
        await InviteCode.filter(for_account__in=dids).order_by("-created_at", "-code")
    )
    invites: dict[str, list[dict[str, Any]]] = {did: [] for did in dids}
    for view in own:
        invites[view.code.for_account].append(view.to_json())
    uses = await InviteCodeUse.filter(used_by__in=dids)
    used_codes = await InviteCode.filter(code__in={use.code for use in uses})
    by_code = {view.code.code: view.to_json() for view in await describe_codes(used_codes)}
    invited_by = {use.used_by: by_code[use.code] for use in uses if use.code in by_code}
    return [
        _view(account, invites[account.did], invited_by.get(account.did)) for account in accounts
    ]


def _view(
    account: Account, invites: list[dict[str, Any]], invited_by: dict[str, Any] | None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "did": account.did,
        "handle": account.handle or INVALID_HANDLE,
        "indexedAt": iso(account.created_at),
        "invites": invites,
        "invitesDisabled": account.invites_disabled,
    }
    if account.email:
        view["email"] = account.email
    if account.email_confirmed_at is not None:
        view["emailConfirmedAt"] = iso(account.email_confirmed_at)
    if account.deactivated_at is not None:
        view["deactivatedAt"] = iso(account.deactivated_at)
    if invited_by is not None:
        view["invitedBy"] = invited_by
    return view
