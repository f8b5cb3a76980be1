"""An account's status, as ``getSession``, ``checkAccountStatus`` and ``#account`` tell it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Protocol


class AccountStatus(StrEnum):
    """Why an account is not active (``ACTIVE`` when it is)."""

    ACTIVE = "active"
    TAKENDOWN = "takendown"
    DEACTIVATED = "deactivated"
    DELETED = "deleted"


class Standing(Protocol):
    """What an account's standing is read from: an account row or an ``AccountInfo``."""

    @property
    def takedown_ref(self) -> str | None:
        """The takedown's reference, if the account is taken down."""

    @property
    def deactivated_at(self) -> dt.datetime | None:
        """When the account was deactivated, if it is."""


def account_status(account: Standing | None) -> AccountStatus:
    """A takedown outranks a deactivation; no row means deleted."""
    if account is None:
        return AccountStatus.DELETED
    if account.takedown_ref:
        return AccountStatus.TAKENDOWN
    if account.deactivated_at is not None:
        return AccountStatus.DEACTIVATED
    return AccountStatus.ACTIVE


def status_fields(status: AccountStatus) -> dict[str, Any]:
    """``{"active": ..., "status"?: ...}`` as sessions and ``#account`` events carry it."""
    if status is AccountStatus.ACTIVE:
        return {"active": True}
    return {"active": False, "status": status.value}
