"""DIDs: the persistent account identifiers (atproto spec "DID"), method-agnostic syntax."""

from __future__ import annotations

import re

from .base import SyntaxString

#: Longest DID accepted by atproto, in characters.
DID_MAX_LENGTH = 2048

# "did:", a lowercase method name, ":", then an identifier of letters, digits and ``._:%-``
# that does not end with ":" or "%".
_DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]")
# A percent sign not followed by two hex digits.
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class Did(SyntaxString):
    """A syntactically valid DID such as ``did:plc:abc123`` (any method)."""

    __slots__ = ()

    kind = "DID"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a DID, or ``None``."""
        if len(value) > DID_MAX_LENGTH:
            return f"longer than {DID_MAX_LENGTH} characters"
        if _DID.fullmatch(value) is None:
            return (
                'must be "did:<lowercase method>:<identifier>" with the identifier made of '
                "ASCII letters, digits and ._:%- and not ending with : or %"
            )
        if _BAD_PERCENT.search(value) is not None:
            return '"%" must be followed by two hex digits'
        return None

    @property
    def method(self) -> str:
        """The DID method, e.g. ``"plc"`` or ``"web"``."""
        return self.split(":", 2)[1]
