"""What a reply's thread needs beyond its record, written in the indexer's transaction.

When a reply enters the index, :class:`ThreadIndex` stores its ``appview_thread_reply``
row (:mod:`.thread_models`): its root, parent, and whether the root's threadgate let its
author reply then (:mod:`.threadgate`). When it leaves, the row goes, except for a reply by
the root's author, which is marked deleted: the OP thread keeps its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview import thread_store, threadgate
from exprsn_pds.plugins.appview.records import Extract, now_iso
from exprsn_pds.plugins.appview.threadgate import Gate

POST_TABLE = "appview_post"


@dataclass(frozen=True)
class ReplyVerdict:
    """How the root's threadgate (``None``: none) judged a reply when it was indexed."""

    gate: Gate | None
    violates: bool


class ThreadIndex:
    """Keeps ``appview_thread_reply`` as replies are indexed and removed."""

    async def record_indexed(
        self, client: BaseDBAsyncClient, extract: Extract
    ) -> ReplyVerdict | None:
        """A record's row entered the index: a reply's thread row is written, and the
        verdict on it answered (``None`` for anything but a reply), for the notifications
        to use rather than judge again."""
        row = extract.row
        if extract.table != POST_TABLE or not row.get("reply_root_uri"):
            return None
        root: str = row["reply_root_uri"]
        gate = await threadgate.root_gate(client, root)
        violates = gate is not None and not await threadgate.may_reply(
            client, row["did"], root, gate
        )
        await thread_store.put_reply(
            client,
            thread_store.ReplyRow(
                row["uri"], row["did"], root, row["reply_parent_uri"], violates, None
            ),
        )
        return ReplyVerdict(gate, violates)

    async def record_removed(self, client: BaseDBAsyncClient, uri: str) -> None:
        """The record ``uri`` left the index: its thread row goes, or is marked deleted
        when the root's author wrote it."""
        await thread_store.remove_reply(client, uri, now_iso())
