"""Invite codes: minting, listing and disabling them, and spending one on a new account."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, RawSQL

from exprsn_pds.accounts.lookup import require_account
from exprsn_pds.accounts.models import Account, InviteCode, InviteCodeUse
from exprsn_pds.accounts.store import INVITE_USES_SQL
from exprsn_pds.errors import InvalidInviteCode, InvalidRequest
from exprsn_pds.syntax import Datetime

CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
CODE_GROUP_LENGTH = 5
ADMIN_CREATOR = "admin"
CURSOR_SEPARATOR = "::"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


class InviteSort(StrEnum):
    """The orders of ``getInviteCodes``."""

    RECENT = "recent"
    USAGE = "usage"


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


async def spend_code(connection: BaseDBAsyncClient, code: str, did: str) -> None:
    """Record ``did`` as a use of ``code``, on the account's creation transaction ``connection``.

    400 InvalidInviteCode when the code is unknown, disabled, used up, or belongs to an
    account that may no longer invite.
    """
    invite = await InviteCode.select_for_update().using_db(connection).get_or_none(code=code)
    if invite is None or invite.disabled:
        raise InvalidInviteCode()
    owner = await Account.get_or_none(did=invite.for_account, using_db=connection)
    if owner is not None and (owner.takedown_ref or owner.invites_disabled):
        raise InvalidInviteCode()
    used = await InviteCodeUse.filter(code=code).using_db(connection).count()
    if used >= invite.available_uses:
        raise InvalidInviteCode()
    await InviteCodeUse.create(code=code, used_by=did, using_db=connection)


@dataclass(frozen=True)
class InviteCodeView:
    """An invite code with its uses, as ``com.atproto.server.defs#inviteCode``."""

    code: InviteCode
    uses: list[InviteCodeUse]

    @property
    def for_account(self) -> str:
        """The DID the code belongs to (or ``admin``)."""
        return self.code.for_account

    @property
    def used_up(self) -> bool:
        """Whether every use of the code is spent."""
        return len(self.uses) >= self.code.available_uses

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


async def account_codes(did: str, *, include_used: bool) -> list[InviteCodeView]:
    """``did``'s own enabled codes, newest first (without used-up ones unless asked)."""
    codes = await InviteCode.filter(for_account=did, disabled=False).order_by(
        "-created_at", "-code"
    )
    views = await describe_codes(codes)
    return views if include_used else [view for view in views if not view.used_up]


async def codes_of_accounts(dids: Sequence[str]) -> dict[str, list[InviteCodeView]]:
    """Each account's own codes (newest first), for the DIDs given."""
    owned: dict[str, list[InviteCodeView]] = {did: [] for did in dids}
    codes = await InviteCode.filter(for_account__in=list(dids)).order_by("-created_at", "-code")
    for view in await describe_codes(codes):
        owned[view.for_account].append(view)
    return owned


async def inviting_codes(dids: Sequence[str]) -> dict[str, InviteCodeView]:
    """The code each of these accounts was created with, for those created with one."""
    uses = await InviteCodeUse.filter(used_by__in=list(dids))
    used = await InviteCode.filter(code__in={use.code for use in uses})
    by_code = {view.code.code: view for view in await describe_codes(used)}
    return {use.used_by: by_code[use.code] for use in uses if use.code in by_code}


def _parse_cursor(cursor: str) -> tuple[str, str]:
    primary, separator, code = cursor.partition(CURSOR_SEPARATOR)
    if not separator or not primary.isdigit():
        raise InvalidRequest("Malformed cursor")
    return primary, code


async def list_codes(
    sort: str, *, limit: int, cursor: str | None = None
) -> tuple[list[InviteCodeView], str | None]:
    """A page of every code, most recent or most used first, and the next cursor.

    The cursor is ``<primary>::<code>`` of the last code, like the official PDS's, where
    ``<primary>`` is the number of uses, or the creation time in microseconds since the
    epoch (the precision the database keeps, so no code is skipped or repeated).
    """
    query = InviteCode.all().annotate(uses=RawSQL(INVITE_USES_SQL))
    if sort == InviteSort.RECENT:
        if cursor:
            micros, code = _parse_cursor(cursor)
            moment = EPOCH + dt.timedelta(microseconds=int(micros))
            query = query.filter(
                Q(created_at__lt=moment) | (Q(created_at=moment) & Q(code__lt=code))
            )
        query = query.order_by("-created_at", "-code")
    elif sort == InviteSort.USAGE:
        if cursor:
            count, code = _parse_cursor(cursor)
            query = query.filter(Q(uses__lt=int(count)) | (Q(uses=int(count)) & Q(code__lt=code)))
        query = query.order_by("-uses", "-code")
    else:
        raise InvalidRequest(f"unknown sort method: {sort}")
    page = await query.limit(limit)
    if not page:
        return [], None
    last = page[-1]
    primary = (
        (last.created_at - EPOCH) // MICROSECOND if sort == InviteSort.RECENT else last.uses  # type: ignore[attr-defined]
    )
    return await describe_codes(page), f"{primary}{CURSOR_SEPARATOR}{last.code}"


async def disable_codes(codes: Sequence[str], accounts: Sequence[str]) -> None:
    """Disable ``codes``, and every code of ``accounts`` (never the admin's)."""
    if ADMIN_CREATOR in accounts:
        raise InvalidRequest("cannot disable admin invite codes")
    if codes:
        await InviteCode.filter(code__in=list(codes)).update(disabled=True)
    if accounts:
        await InviteCode.filter(for_account__in=list(accounts)).update(disabled=True)


async def set_invites_disabled(did: str, disabled: bool) -> None:
    """Stop (or let again) the account's codes inviting; 400 AccountNotFound."""
    await require_account(did)
    await Account.filter(did=did).update(invites_disabled=disabled)
