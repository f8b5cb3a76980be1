"""The lexicon ``uri`` string format: any URI with a scheme (RFC 3986), up to 8 KB."""

from __future__ import annotations

import re

from .base import SyntaxString

#: Longest URI, in UTF-8 bytes.
URI_MAX_BYTES = 8192

# A scheme (a letter, then letters, digits, "+", "-" or "."), a colon, and something after it.
_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:.+", re.DOTALL)
# Whitespace and control characters, which a URI never contains.
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


class Uri(SyntaxString):
    """A URI with a scheme, such as ``https://example.com`` or ``did:plc:abc``."""

    __slots__ = ()

    kind = "URI"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a URI, or ``None``."""
        if len(value.encode()) > URI_MAX_BYTES:
            return f"longer than {URI_MAX_BYTES} bytes"
        if _URI.fullmatch(value) is None:
            return 'must be "<scheme>:<something>"'
        if _FORBIDDEN.search(value) is not None:
            return "must not contain whitespace or control characters"
        return None
