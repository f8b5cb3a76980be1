"""The notification tables of the ``appview`` tortoise app.

- ``appview_notification``: one row per (record, recipient), written by the indexer in the
  transaction that indexes the record and deleted with it (:mod:`.notifications`);
- ``appview_notification_seen``: when each account last marked its notifications seen;
- ``appview_notification_preferences``: ``app.bsky.notification`` preferences (v2), private;
- ``appview_push_registration``: push tokens registered through ``registerPush`` (stored,
  not delivered to).

Reads and writes are raw SQL in :mod:`.notification_store`; these models declare the tables.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from exprsn_pds.plugins.appview.models import CID_LENGTH, DID_LENGTH, TIME_LENGTH, URI_LENGTH


class Notification(Model):
    """``record_uri`` (by ``author_did``) notifies ``did`` for ``reason``."""

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_LENGTH)
    author_did = fields.CharField(max_length=DID_LENGTH)
    record_uri = fields.CharField(max_length=URI_LENGTH, db_index=True)
    record_cid = fields.CharField(max_length=CID_LENGTH)
    reason = fields.CharField(max_length=64)
    reason_subject = fields.CharField(max_length=URI_LENGTH, null=True)
    sort_at = fields.CharField(max_length=TIME_LENGTH)

    class Meta:
        table = "appview_notification"
        unique_together = (("record_uri", "did"),)
        indexes = (("did", "sort_at"),)


class NotificationSeen(Model):
    """The ``seenAt`` of ``did``'s last ``updateSeen``."""

    did = fields.CharField(max_length=DID_LENGTH, primary_key=True)
    seen_at = fields.CharField(max_length=TIME_LENGTH)

    class Meta:
        table = "appview_notification_seen"


class NotificationPreferences(Model):
    """``did``'s ``app.bsky.notification.defs#preferences`` as JSON (only what was put)."""

    did = fields.CharField(max_length=DID_LENGTH, primary_key=True)
    preferences = fields.TextField()
    updated_at = fields.CharField(max_length=TIME_LENGTH)

    class Meta:
        table = "appview_notification_preferences"


class PushRegistration(Model):
    """A push token ``did`` registered for ``service_did`` (stored, nothing is pushed yet)."""

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_LENGTH, db_index=True)
    service_did = fields.CharField(max_length=DID_LENGTH)
    token = fields.CharField(max_length=4096)
    platform = fields.CharField(max_length=16)
    app_id = fields.CharField(max_length=512)
    age_restricted = fields.BooleanField(default=False)
    created_at = fields.CharField(max_length=TIME_LENGTH)

    class Meta:
        table = "appview_push_registration"
        unique_together = (("did", "service_did", "token"),)
