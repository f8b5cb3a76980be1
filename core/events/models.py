"""The event log: every sequenced firehose event, stored as the frame subscribers get."""

from __future__ import annotations

from typing import Final

from tortoise import fields
from tortoise.models import Model

DID_MAX_LENGTH: Final = 2048
EVENT_TYPE_MAX_LENGTH: Final = 16


class RepoEvent(Model):
    """One event of ``com.atproto.sync.subscribeRepos``, ready to send.

    ``seq`` is assigned by :class:`~exprsn_pds.events.sequencer.Sequencer` (the highest
    so far plus one), never by the database; ``frame`` is the complete WebSocket message
    (DAG-CBOR header and body, the body carrying ``seq`` and ``time``).
    """

    seq = fields.BigIntField(primary_key=True, generated=False)
    did = fields.CharField(max_length=DID_MAX_LENGTH, db_index=True)
    type = fields.CharField(
        max_length=EVENT_TYPE_MAX_LENGTH, description="commit, sync, identity or account"
    )
    frame = fields.BinaryField(description="the WebSocket message: DAG-CBOR header + body")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "repo_event"
