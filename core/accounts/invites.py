"""Invite codes: minting them, and spending one on a new account."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from exprsn_pds.accounts.models import Account, InviteCode, InviteCodeUse
from exprsn_pds.errors import InvalidInviteCode
from exprsn_pds.syntax import Datetime

CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
CODE_GROUP_LENGTH = 5
ADMIN_CREATOR = "admin"


def new_code(hostname: str) -> str:
    """``<hostname with dashes>-xxxxx-xxxxx``, as the official PDS writes them."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(2)
    )
    return "-".join([hostname.replace(".", "-"), *groups])


async def create_codes(
    hostname: str, *, for_account: str, uses: int, count: int = 1, created_by: str = ADMIN_CREATOR
) -> list[str]:
    """``count`` new codes of ``uses`` uses each, owned by ``for_account``."""
    codes = [new_code(hostname) for _ in range(count)]
    await InviteCode.bulk_create(
        [
            InviteCode(
                code=code, available_uses=uses, for_account=for_account, created_by=created_by
            )
            for code in codes
        ]
    )
    return codes


async def spend_code(code: str, did: str) -> None:
    """Record ``did`` as a use of ``code`` (inside the account's creation transaction).

    400 InvalidInviteCode when the code is unknown, disabled, used up, or belongs to an
    account that may no longer invite.
    """
    invite = await InviteCode.select_for_update().get_or_none(code=code)
    if invite is None or invite.disabled:
        raise InvalidInviteCode()
    owner = await Account.get_or_none(did=invite.for_account)
    if owner is not None and (owner.takedown_ref or owner.invites_disabled):
        raise InvalidInviteCode()
    used = await InviteCodeUse.filter(code=code).count()
    if used >= invite.available_uses:
        raise InvalidInviteCode()
    await InviteCodeUse.create(code=code, used_by=did)


@dataclass(frozen=True)
class InviteCodeView:
    """An invite code with its uses, as ``com.atproto.server.defs#inviteCode``."""

    code: InviteCode
    uses: list[InviteCodeUse]

    def to_json(self) -> dict[str, object]:
        """The lexicon form."""
        return {
            "code": self.code.code,
            "available": max(self.code.available_uses - len(self.uses), 0),
            "disabled": self.code.disabled,
            "forAccount": self.code.for_account,
            "createdBy": self.code.created_by,
            "createdAt": _iso(self.code.created_at),
            "uses": [{"usedBy": use.used_by, "usedAt": _iso(use.used_at)} for use in self.uses],
        }


def _iso(moment: dt.datetime) -> str:
    return str(Datetime.from_datetime(moment))


async def describe_codes(codes: Sequence[InviteCode]) -> list[InviteCodeView]:
    """Views of ``codes`` with their uses (one query for all uses)."""
    names = [code.code for code in codes]
    uses = await InviteCodeUse.filter(code__in=names).order_by("used_at") if names else []
    by_code: dict[str, list[InviteCodeUse]] = {name: [] for name in names}
    for use in uses:
        by_code[use.code].append(use)
    return [InviteCodeView(code, by_code[code.code]) for code in codes]
