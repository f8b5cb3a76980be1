"""What the service API tells about an account: a plain value, not a database row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.status import AccountStatus, account_status


@dataclass(frozen=True)
class AccountInfo:
    """An account hosted here, as read at one moment (``pds.accounts`` answers these)."""

    did: str
    handle: str | None
    email: str | None
    email_confirmed_at: dt.datetime | None
    created_at: dt.datetime
    deactivated_at: dt.datetime | None
    takedown_ref: str | None
    invites_disabled: bool

    @classmethod
    def of(cls, row: Account) -> AccountInfo:
        """The value of an account row."""
        return cls(
            did=row.did,
            handle=row.handle,
            email=row.email,
            email_confirmed_at=row.email_confirmed_at,
            created_at=row.created_at,
            deactivated_at=row.deactivated_at,
            takedown_ref=row.takedown_ref,
            invites_disabled=row.invites_disabled,
        )

    @property
    def status(self) -> AccountStatus:
        """Active, taken down or deactivated (a takedown outranks a deactivation)."""
        return account_status(self)

    @property
    def email_confirmed(self) -> bool:
        """Whether the account confirmed its e-mail address."""
        return self.email_confirmed_at is not None
