"""The tables of accounts: the account itself, sessions, app passwords, invites, e-mail tokens."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

DID_MAX_LENGTH = 2048
HANDLE_MAX_LENGTH = 253
EMAIL_MAX_LENGTH = 320
PASSWORD_HASH_MAX_LENGTH = 512
REF_MAX_LENGTH = 128
TOKEN_ID_MAX_LENGTH = 64
APP_PASSWORD_NAME_MAX_LENGTH = 64
INVITE_CODE_MAX_LENGTH = 128
PURPOSE_MAX_LENGTH = 32
EMAIL_TOKEN_MAX_LENGTH = 16


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
    invites_disabled = fields.BooleanField(default=False)

    class Meta:
        table = "account"


class RefreshToken(Model):
    """A refresh token that has been issued and not revoked (``id`` is its ``jti``).

    Using it sets ``next_id`` (the token that replaces it) and shortens its life to the
    reuse grace period, so a client that lost the answer can retry and gets the same
    successor. ``session_id`` is the same for every token of one session (the first
    token's id; ``None`` in rows stored before sessions had ids, whose ``id`` is it).
    """

    id = fields.CharField(max_length=TOKEN_ID_MAX_LENGTH, primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH, db_index=True)
    expires_at = fields.DatetimeField()
    app_password_name = fields.CharField(max_length=APP_PASSWORD_NAME_MAX_LENGTH, null=True)
    next_id = fields.CharField(max_length=TOKEN_ID_MAX_LENGTH, null=True)
    session_id = fields.CharField(max_length=TOKEN_ID_MAX_LENGTH, null=True)

    class Meta:
        table = "refresh_token"


class AppPassword(Model):
    """A named password for a third-party app, with reduced rights."""

    id = fields.BigIntField(primary_key=True)
    did = fields.CharField(max_length=DID_MAX_LENGTH)
    name = fields.CharField(max_length=APP_PASSWORD_NAME_MAX_LENGTH)
    password_hash = fields.CharField(max_length=PASSWORD_HASH_MAX_LENGTH)
    privileged = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_password"
        unique_together = (("did", "name"),)


class InviteCode(Model):
    """An invite code: how many accounts it can still create, and who it belongs to."""

    code = fields.CharField(max_length=INVITE_CODE_MAX_LENGTH, primary_key=True)
    available_uses = fields.IntField()
    disabled = fields.BooleanField(default=False)
    for_account = fields.CharField(max_length=DID_MAX_LENGTH, db_index=True)
    created_by = fields.CharField(max_length=DID_MAX_LENGTH)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_code"


class InviteCodeUse(Model):
    """One account created with an invite code."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=INVITE_CODE_MAX_LENGTH, db_index=True)
    used_by = fields.CharField(max_length=DID_MAX_LENGTH)
    used_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_code_use"
        unique_together = (("code", "used_by"),)


class EmailToken(Model):
    """A single-use code sent by e-mail for one purpose (confirm e-mail, reset password...)."""

    id = fields.BigIntField(primary_key=True)
    purpose = fields.CharField(max_length=PURPOSE_MAX_LENGTH)
    did = fields.CharField(max_length=DID_MAX_LENGTH)
    token = fields.CharField(max_length=EMAIL_TOKEN_MAX_LENGTH)
    requested_at = fields.DatetimeField()

    class Meta:
        table = "email_token"
        unique_together = (("purpose", "did"), ("purpose", "token"))
