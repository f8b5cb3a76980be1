"""The admin plugin's own table: moderation reports, kept for the administrator."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

DID_MAX_LENGTH = 2048


class ModerationReport(Model):
    """One ``com.atproto.moderation.createReport``, as the reporter sent it."""

    id = fields.BigIntField(primary_key=True)
    reason_type = fields.TextField()
    reason = fields.TextField(null=True)
    subject: fields.JSONField[dict[str, Any]] = fields.JSONField()
    reported_by = fields.CharField(max_length=DID_MAX_LENGTH, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "moderation_report"
