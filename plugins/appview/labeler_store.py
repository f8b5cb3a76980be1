"""The index's read for ``app.bsky.labeler.getServices``, as raw SQL: the labeler
declarations of a set of accounts, with their like counts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.sql import fetch_in


@dataclass(frozen=True)
class LabelerRow:
    """An account's indexed ``app.bsky.labeler.service`` record."""

    did: str
    uri: str
    cid: str
    record: str
    indexed_at: str
    likes: int


async def labelers(client: BaseDBAsyncClient, dids: Collection[str]) -> dict[str, LabelerRow]:
    """The labeler declarations (live records) of those of ``dids`` that have one."""
    rows = await fetch_in(
        client,
        "SELECT l.did, l.uri, r.cid, r.record, l.indexed_at, COALESCE(c.likes, 0)"
        " FROM appview_labeler l JOIN appview_record r ON r.uri = l.uri"
        " LEFT JOIN appview_post_counts c ON c.uri = l.uri"
        " WHERE r.cid IS NOT NULL AND l.did IN ({holes})",
        dids,
    )
    return {row[0]: LabelerRow(row[0], row[1], row[2], row[3], row[4], int(row[5])) for row in rows}
