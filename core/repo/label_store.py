"""Labels ``pds_check_record`` attached to records: stored with the record, read by URI.

A label belongs to one version of one record (its AT-URI and CID). The writer stores a
commit's labels in the commit's transaction (:func:`replace_labels`) and removes a
record's labels when the record is deleted or replaced; an import or account deletion
removes all of a repo's (:func:`drop_repo_labels`). :func:`record_labels` reads them,
e.g. for moderation views.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.repo.models import RecordLabel
from exprsn_pds.storage.sql import chunks, execute, fetch, placeholders, values_rows
from exprsn_pds.syntax import AtUri, Did


@dataclass(frozen=True)
class AttachedLabels:
    """The label values attached to the record at ``path`` in its version ``cid``."""

    path: str
    cid: str
    values: tuple[str, ...]


async def replace_labels(
    client: BaseDBAsyncClient,
    did: str,
    replaced: Collection[str],
    attached: Sequence[AttachedLabels],
) -> None:
    """Drop the labels of the records at ``replaced`` paths, then store ``attached``."""
    for batch in chunks(list(replaced)):
        await execute(
            client,
            f"DELETE FROM record_label WHERE did = ? AND path IN ({placeholders(len(batch))})",
            [did, *batch],
        )
    rows = [(labels.path, labels.cid, value) for labels in attached for value in labels.values]
    now = dt.datetime.now(dt.UTC)
    for row_batch in chunks(rows, width=5):
        values: list[object] = []
        for path, cid, value in row_batch:
            values += [did, path, cid, value, now]
        await execute(
            client,
            "INSERT INTO record_label (did, path, cid, val, created_at)"
            f" VALUES {values_rows(5, len(row_batch))}",
            values,
        )


@dataclass(frozen=True)
class StoredLabel:
    """One label value attached to the version ``cid`` of the record ``uri``, and when."""

    uri: str
    cid: str
    val: str
    created_at: dt.datetime


async def labels_of_records(
    client: BaseDBAsyncClient, uris: Collection[str]
) -> dict[str, list[StoredLabel]]:
    """The labels attached to the records ``uris`` (AT-URIs with a DID), by URI, in the
    order they were attached; batched, however many records."""
    keys = sorted(
        {
            (str(parsed.authority), f"{parsed.collection}/{parsed.rkey}")
            for uri in uris
            if AtUri.is_valid(uri)
            and (parsed := AtUri.parse(uri)).collection is not None
            and parsed.rkey is not None
        }
    )
    found: dict[str, list[StoredLabel]] = {}
    for batch in chunks(keys, width=2):
        rows = await fetch(
            client,
            "SELECT did, path, cid, val, created_at FROM record_label"
            f" WHERE (did, path) IN (VALUES {values_rows(2, len(batch))}) ORDER BY id",
            [part for key in batch for part in key],
        )
        for did, path, cid, val, created_at in rows:
            uri = f"at://{did}/{path}"
            found.setdefault(uri, []).append(
                StoredLabel(uri, str(cid), str(val), _aware(created_at))
            )
    return found


def _aware(value: object) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite gives text, PostgreSQL a datetime)."""
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


async def drop_repo_labels(client: BaseDBAsyncClient, did: str) -> None:
    """Drop every label of ``did``'s records (its repo is replaced or deleted)."""
    await execute(client, "DELETE FROM record_label WHERE did = ?", [did])


async def record_labels(uri: str, cid: str | None = None) -> list[str]:
    """The label values attached to the record at ``uri`` (an AT-URI with a DID).

    With ``cid``, only if that is the labelled version. A record without labels, or a
    URI that names no record of a DID, has none.
    """
    if not AtUri.is_valid(uri):
        return []
    parsed = AtUri.parse(uri)
    if parsed.collection is None or parsed.rkey is None or not Did.is_valid(parsed.authority):
        return []
    query = RecordLabel.filter(did=str(parsed.authority), path=f"{parsed.collection}/{parsed.rkey}")
    if cid is not None:
        query = query.filter(cid=cid)
    return [str(value) for value in await query.order_by("id").values_list("val", flat=True)]
