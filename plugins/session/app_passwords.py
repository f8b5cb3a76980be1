"""``createAppPassword``, ``listAppPasswords``, ``revokeAppPassword`` (full sessions only)."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from exprsn_pds import XrpcContext
from exprsn_pds.accounts.models import AppPassword
from exprsn_pds.accounts.passwords import generate_app_password, hash_app_password
from exprsn_pds.auth import caller_did
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.syntax import Datetime


async def create_app_password(ctx: XrpcContext) -> dict[str, Any]:
    """A new app password; the only time its plain text is shown."""
    did = caller_did(ctx.auth)
    name = ctx.input["name"].strip()
    if not name:
        raise InvalidRequest("App password name is required")
    privileged = bool(ctx.input.get("privileged", False))
    password = generate_app_password()
    try:
        created = await AppPassword.create(
            did=did,
            name=name,
            password_hash=await hash_app_password(did, password),
            privileged=privileged,
        )
    except IntegrityError as error:
        raise InvalidRequest("An app password with that name already exists") from error
    return {
        "name": created.name,
        "password": password,
        "createdAt": str(Datetime.from_datetime(created.created_at)),
        "privileged": created.privileged,
    }


async def list_app_passwords(ctx: XrpcContext) -> dict[str, Any]:
    """The caller's app passwords (names and dates, never the passwords)."""
    rows = await AppPassword.filter(did=caller_did(ctx.auth)).order_by("-created_at", "name")
    return {
        "passwords": [
            {
                "name": row.name,
                "createdAt": str(Datetime.from_datetime(row.created_at)),
                "privileged": row.privileged,
            }
            for row in rows
        ]
    }


async def revoke_app_password(ctx: XrpcContext) -> None:
    """Delete an app password and end every session opened with it."""
    did = caller_did(ctx.auth)
    name = ctx.input["name"]
    async with ctx.pds.database.transaction():
        await AppPassword.filter(did=did, name=name).delete()
        await ctx.pds.sessions.revoke_app_password(did, name)
