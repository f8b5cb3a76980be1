"""The errors of the MST: bad keys and operations, malformed nodes, missing blocks."""

from __future__ import annotations

from exprsn_pds.datamodel import Cid


class MstError(ValueError):
    """An MST operation cannot be done, or MST data is not valid."""


class InvalidKey(MstError):
    """A key is not a valid MST key (a ``collection/rkey`` repo path)."""


class KeyExists(MstError):
    """A ``create`` names a key the tree already holds."""


class KeyNotFound(MstError):
    """An ``update`` or ``delete`` names a key the tree does not hold."""


class MalformedNode(MstError):
    """A block is not a valid MST node at the place it is linked from."""


class MissingBlock(KeyError):
    """A block the tree links to is not in the block store; ``cid`` names it."""

    def __init__(self, cid: Cid, message: str | None = None) -> None:
        super().__init__(message or f"block {cid} is not stored")
        self.cid = cid

    def __str__(self) -> str:
        return str(self.args[0])
