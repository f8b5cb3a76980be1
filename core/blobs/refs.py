"""Blob references: the ``blob`` value of the data model, and finding them in records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from exprsn_pds.datamodel import Cid, DataModelError

BLOB_TYPE = "blob"
_LEGACY_KEYS = frozenset({"cid", "mimeType"})


@dataclass(frozen=True)
class BlobRef:
    """A reference to a blob: its CID, MIME type and size (``None`` in the legacy form)."""

    cid: Cid
    mime_type: str
    size: int | None

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``{"$type": "blob", "ref": {"$link": cid}, "mimeType", "size"}``.

        A legacy reference (no size) keeps its legacy form ``{"cid", "mimeType"}``.
        """
        if self.size is None:
            return {"cid": str(self.cid), "mimeType": self.mime_type}
        return {
            "$type": BLOB_TYPE,
            "ref": {"$link": str(self.cid)},
            "mimeType": self.mime_type,
            "size": self.size,
        }


def find_blob_refs(record: Any) -> list[BlobRef]:
    """Every blob a data-model record references, in document order.

    Recognises ``{"$type": "blob", "ref": Cid, "mimeType", "size"}`` and the legacy
    ``{"cid": "<cid>", "mimeType"}`` (exactly those two keys).
    """
    return list(_walk(record))


def _walk(value: Any) -> Iterator[BlobRef]:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, dict):
            ref = _as_blob_ref(item)
            if ref is not None:
                yield ref
            else:
                pending.extend(reversed(item.values()))


def _as_blob_ref(value: dict[str, Any]) -> BlobRef | None:
    mime_type = value.get("mimeType")
    if not isinstance(mime_type, str):
        return None
    if value.get("$type") == BLOB_TYPE:
        ref, size = value.get("ref"), value.get("size")
        if isinstance(ref, Cid) and type(size) is int:
            return BlobRef(ref, mime_type, size)
        return None
    if value.keys() == _LEGACY_KEYS and isinstance(value["cid"], str):
        try:
            return BlobRef(Cid.parse(value["cid"]), mime_type, None)
        except DataModelError:
            return None
    return None
