"""Handles: DNS host names used as human-friendly account names (atproto spec "Handle")."""

from __future__ import annotations

import re
from typing import Self

from .base import SyntaxString

#: Longest handle, in characters (the DNS name limit).
HANDLE_MAX_LENGTH = 253

# Labels of 1-63 ASCII letters, digits and hyphens, not starting or ending with a hyphen;
# at least two labels; the last label (the TLD) does not start with a digit.
_HANDLE = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
)


class Handle(SyntaxString):
    """A syntactically valid handle such as ``alice.example.com`` (case as written)."""

    __slots__ = ()

    kind = "handle"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a handle, or ``None``."""
        if len(value) > HANDLE_MAX_LENGTH:
            return f"longer than {HANDLE_MAX_LENGTH} characters"
        if _HANDLE.fullmatch(value) is None:
            return (
                "must be two or more dot-separated labels of ASCII letters, digits and "
                "hyphens (1-63 each, no hyphen at either end), the last not starting with a digit"
            )
        return None

    @property
    def normalized(self) -> Self:
        """The handle in its normal form: lowercase."""
        return type(self)(self.lower())
