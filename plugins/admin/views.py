"""``com.atproto.admin.defs#accountView``: what the admin sees of an account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from exprsn_pds import INVALID_HANDLE, AccountInfo, Pds
from exprsn_pds.syntax import Datetime


def iso(moment: dt.datetime) -> str:
    """A stored timestamp in the atproto datetime form."""
    return str(Datetime.from_datetime(moment))


async def account_views(pds: Pds, accounts: Sequence[AccountInfo]) -> list[dict[str, Any]]:
    """Views of ``accounts`` (in order) with their invite codes and the code that invited them."""
    dids = [account.did for account in accounts]
    if not dids:
        return []
    own = await pds.accounts.invite_codes_of(dids)
    invited_by = await pds.accounts.inviting_codes(dids)
    return [
        _view(
            account,
            [view.to_json() for view in own[account.did]],
            invited_by[account.did].to_json() if account.did in invited_by else None,
        )
        for account in accounts
    ]


def _view(
    account: AccountInfo, invites: list[dict[str, Any]], invited_by: dict[str, Any] | None
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
