"""What a caller asks the write path to do, and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from exprsn_pds.datamodel import Cid
from exprsn_pds.errors import InvalidSwap


class Action(StrEnum):
    """A record operation."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Unset:
    """Marks an optional swap condition that was not given (``None`` means "absent")."""


UNSET = Unset()


def check_swap_commit(swap_commit: Cid | Unset | None, head: str) -> None:
    """400 InvalidSwap unless ``swap_commit`` is unset or names the repo's ``head``."""
    if not isinstance(swap_commit, Unset) and str(swap_commit) != head:
        raise InvalidSwap("Commit", head)


@dataclass(frozen=True)
class RecordWrite:
    """One record operation; ``record`` is in data-model form (links are ``Cid``)."""

    action: Action
    collection: str
    rkey: str
    record: dict[str, Any] | None = None
    swap_record: Cid | Unset | None = UNSET

    @property
    def path(self) -> str:
        """The MST key: ``collection/rkey``."""
        return f"{self.collection}/{self.rkey}"


@dataclass(frozen=True)
class WriteResult:
    """What one operation did."""

    action: Action
    uri: str
    cid: Cid | None
    prev: Cid | None


@dataclass(frozen=True)
class CommitResult:
    """A committed change: the new commit and each operation's outcome."""

    did: str
    commit: Cid
    rev: str
    results: list[WriteResult] = field(default_factory=list)
