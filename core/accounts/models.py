"""The account table."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

DID_MAX_LENGTH = 2048
HANDLE_MAX_LENGTH = 253
EMAIL_MAX_LENGTH = 320
PASSWORD_HASH_MAX_LENGTH = 512
REF_MAX_LENGTH = 128


class Account(Model):
    """An account: its identity and credentials (the repo lives in ``repo``)."""

    did = fields.CharField(max_length=DID_MAX_LENGTH, primary_key=True)
    handle = fields.CharField(max_length=HANDLE_MAX_LENGTH, unique=True, null=True)
    email = fields.CharField(max_length=EMAIL_MAX_LENGTH, unique=True, null=True)
    password_hash = fields.CharField(max_length=PASSWORD_HASH_MAX_LENGTH, null=True)
    email_confirmed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    deactivated_at = fields.DatetimeField(null=True)
    takedown_ref = fields.CharField(max_length=REF_MAX_LENGTH, null=True)

    class Meta:
        table = "account"
