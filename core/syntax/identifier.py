"""At-identifiers: a handle or a DID, as used in XRPC parameters and AT-URI authorities."""

from __future__ import annotations

from .base import SyntaxString
from .did import Did
from .handle import Handle


class AtIdentifier(SyntaxString):
    """Either a :class:`Did` or a :class:`Handle`; a DID always starts with ``did:``."""

    __slots__ = ()

    kind = "at-identifier"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is neither a handle nor a DID, or ``None``."""
        if value.startswith("did:"):
            return Did.problem(value)
        return Handle.problem(value)

    @property
    def is_did(self) -> bool:
        """Whether this identifier is a DID (otherwise it is a handle)."""
        return self.startswith("did:")

    @property
    def did(self) -> Did | None:
        """This identifier as a :class:`Did`, or ``None`` for a handle."""
        return Did(self) if self.is_did else None

    @property
    def handle(self) -> Handle | None:
        """This identifier as a :class:`Handle`, or ``None`` for a DID."""
        return None if self.is_did else Handle(self)
