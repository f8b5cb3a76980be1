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


CONSUMER_NAME_MAX_LENGTH: Final = 128
CONSUMER_OWNER_MAX_LENGTH: Final = 255


class EventConsumer(Model):
    """A durable consumer's place in the event log and who runs it now.

    Maintained by :mod:`exprsn_pds.events.consumers`. ``last_seq`` is the newest event
    its handler returned for; ``missed_events`` counts events the purger deleted before
    it handled them. ``owner`` holds the lease until ``lease_expires_ms`` (milliseconds
    since the epoch on the database's clock, so processes on several hosts agree).
    """

    name = fields.CharField(max_length=CONSUMER_NAME_MAX_LENGTH, primary_key=True)
    last_seq = fields.BigIntField(description="the newest seq handled")
    missed_events = fields.BigIntField(
        default=0, description="events purged before the consumer handled them"
    )
    owner = fields.CharField(
        max_length=CONSUMER_OWNER_MAX_LENGTH, null=True, description="the lease holder"
    )
    lease_expires_ms = fields.BigIntField(
        default=0, description="lease end, ms since the epoch on the database clock"
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "event_consumer"
