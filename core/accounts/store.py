"""The accounts tables' raw SQL: the hot standing query, and SQL the ORM cannot say."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.storage.sql import fetch

# Every write asks this.
STANDING_QUERY = "SELECT takedown_ref, deactivated_at FROM account WHERE did = ?"
#: The number of uses of each invite code, as a column both databases understand.
INVITE_USES_SQL = (
    "(SELECT COUNT(*) FROM invite_code_use WHERE invite_code_use.code = invite_code.code)"
)


@dataclass(frozen=True)
class AccountStanding:
    """Whether an account is taken down or deactivated."""

    takedown_ref: str | None
    deactivated_at: object  # a datetime, or the driver's text form of one

    @property
    def deactivated(self) -> bool:
        """Whether the account is deactivated."""
        return self.deactivated_at is not None


async def account_standing(client: BaseDBAsyncClient, did: str) -> AccountStanding | None:
    """The standing of account ``did`` read on ``client``; ``None``: no account."""
    rows = await fetch(client, STANDING_QUERY, [did])
    if not rows:
        return None
    takedown_ref, deactivated_at = rows[0]
    return AccountStanding(takedown_ref, deactivated_at)
