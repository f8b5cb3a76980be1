"""Record keys: the last segment of a record's path in a repository (atproto spec "Record Key")."""

from __future__ import annotations

import re

from .base import SyntaxString

#: Longest record key, in characters.
RECORD_KEY_MAX_LENGTH = 512

_RECORD_KEY = re.compile(r"[A-Za-z0-9._:~-]+")


class RecordKey(SyntaxString):
    """A syntactically valid record key (the general "any" syntax)."""

    __slots__ = ()

    kind = "record key"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a record key, or ``None``."""
        if len(value) > RECORD_KEY_MAX_LENGTH:
            return f"longer than {RECORD_KEY_MAX_LENGTH} characters"
        if _RECORD_KEY.fullmatch(value) is None:
            return "must be one or more ASCII letters, digits or ._:~-"
        if value in (".", ".."):
            return '"." and ".." are not allowed'
        return None
