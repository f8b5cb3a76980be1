"""AT-URIs in the strict form lexicons use: ``at://<authority>[/<collection>[/<rkey>]]``."""

from __future__ import annotations

from typing import Self

from .base import SyntaxString
from .identifier import AtIdentifier
from .nsid import Nsid
from .recordkey import RecordKey

#: Longest AT-URI, in characters.
AT_URI_MAX_LENGTH = 8192

_SCHEME = "at://"


class AtUri(SyntaxString):
    """A syntactically valid AT-URI such as ``at://did:plc:abc/app.bsky.feed.post/3k2a``.

    The authority is a handle or DID, the optional collection an NSID and the optional
    record key a record key; no query, fragment or trailing slash is allowed.
    """

    __slots__ = ()

    kind = "AT-URI"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a strict AT-URI, or ``None``."""
        if len(value) > AT_URI_MAX_LENGTH:
            return f"longer than {AT_URI_MAX_LENGTH} characters"
        if not value.startswith(_SCHEME):
            return f'must start with "{_SCHEME}"'
        parts = value[len(_SCHEME) :].split("/")
        if len(parts) > 3:
            return "must have at most a collection and a record key after the authority"
        if not AtIdentifier.is_valid(parts[0]):
            return "the authority must be a handle or a DID"
        if len(parts) > 1 and not Nsid.is_valid(parts[1]):
            return "the collection must be an NSID"
        if len(parts) > 2 and not RecordKey.is_valid(parts[2]):
            return "the record key is not valid"
        return None

    @classmethod
    def from_parts(
        cls, authority: str, collection: str | None = None, rkey: str | None = None
    ) -> Self:
        """Build an AT-URI; a record key needs a collection."""
        if rkey is not None and collection is None:
            raise ValueError("an AT-URI with a record key needs a collection")
        segments = [authority, collection, rkey]
        return cls(_SCHEME + "/".join(segment for segment in segments if segment is not None))

    def _parts(self) -> list[str]:
        return self[len(_SCHEME) :].split("/")

    @property
    def authority(self) -> AtIdentifier:
        """The handle or DID that owns the repository."""
        return AtIdentifier(self._parts()[0])

    @property
    def collection(self) -> Nsid | None:
        """The collection NSID, if the URI has one."""
        parts = self._parts()
        return Nsid(parts[1]) if len(parts) > 1 else None

    @property
    def rkey(self) -> RecordKey | None:
        """The record key, if the URI has one."""
        parts = self._parts()
        return RecordKey(parts[2]) if len(parts) > 2 else None
