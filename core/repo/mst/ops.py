"""What a batch edit asks (:class:`MstOp`) and what it answers (:class:`MstChange`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.errors import MstError
from exprsn_pds.repo.mst.keys import check_key, key_height


class MstAction(StrEnum):
    """What an :class:`MstOp` does to its key."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class MstOp:
    """One key's edit: ``create`` or ``update`` it to ``value``, or ``delete`` it.

    ``action`` is an :class:`MstAction` or its string value; ``value`` is the record's
    CID for ``create``/``update`` and ``None`` for ``delete``.
    """

    action: str
    key: str
    value: Cid | None = None

    def __post_init__(self) -> None:
        if self.action not in tuple(MstAction):
            raise MstError(f"unknown MST action {self.action!r}")
        if (self.action == MstAction.DELETE) != (self.value is None):
            raise MstError(
                f"{self.action} of {self.key!r}: a delete takes no value, "
                "a create or update needs one"
            )


@dataclass(frozen=True)
class MstChange:
    """The result of :meth:`~exprsn_pds.repo.mst.Mst.apply`.

    - ``root``: the new root CID.
    - ``new_blocks``: the nodes this change created (not in the old tree).
    - ``removed``: CIDs of the old tree's nodes that the new tree no longer has.
    - ``proof_blocks``: the old nodes (disjoint from ``new_blocks``) that, with
      ``new_blocks``, let a consumer check every op against ``root`` and invert the
      ops, in any order, back to the previous root (sync v1.1 covering proof).
    - ``prev_values``: each key's value before the change (``None``: it was absent),
      for the firehose ops' ``prev``.
    """

    root: Cid
    new_blocks: dict[Cid, bytes]
    removed: set[Cid]
    proof_blocks: dict[Cid, bytes]
    prev_values: dict[str, Cid | None]


@dataclass(frozen=True, slots=True)
class Edit:
    """An op made ready to run: its key's bytes and height."""

    action: MstAction
    key: bytes
    height: int
    value: Cid | None


def plan(ops: Sequence[MstOp]) -> list[Edit]:
    """``ops`` as edits in key order; :class:`MstError` for a bad key or a repeated one."""
    edits: dict[bytes, Edit] = {}
    for op in ops:
        key = check_key(op.key)
        if key in edits:
            raise MstError(f"two ops in one change edit the key {op.key!r}")
        edits[key] = Edit(MstAction(op.action), key, key_height(key), op.value)
    return [edits[key] for key in sorted(edits)]
