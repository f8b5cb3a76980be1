"""NSIDs: namespaced identifiers of lexicons (atproto spec "Namespaced Identifiers")."""

from __future__ import annotations

import re

from .base import SyntaxString

#: Longest NSID, in characters.
NSID_MAX_LENGTH = 317

# A reversed domain name whose first segment (the TLD) starts with a letter, at least two
# segments, then a name of ASCII letters and digits that starts with a letter.
_NSID = re.compile(
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+"
    r"\.[a-zA-Z][a-zA-Z0-9]{0,62}"
)


class Nsid(SyntaxString):
    """A syntactically valid NSID such as ``com.atproto.repo.createRecord``."""

    __slots__ = ()

    kind = "NSID"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not an NSID, or ``None``."""
        if len(value) > NSID_MAX_LENGTH:
            return f"longer than {NSID_MAX_LENGTH} characters"
        if _NSID.fullmatch(value) is None:
            return (
                "must be a reversed domain name (two or more segments, the first not "
                "starting with a digit), then a name of ASCII letters and digits that "
                "starts with a letter"
            )
        return None

    @property
    def authority(self) -> str:
        """The domain authority as a lowercase host name.

        ``com.atproto.repo.createRecord`` → ``repo.atproto.com``.
        """
        return ".".join(reversed(self.lower().split(".")[:-1]))

    @property
    def name(self) -> str:
        """The final, case-sensitive name segment.

        ``com.atproto.repo.createRecord`` → ``createRecord``.
        """
        return self.rsplit(".", 1)[1]
