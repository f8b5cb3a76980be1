"""``createAppPassword``, ``listAppPasswords``, ``revokeAppPassword`` (full sessions only)."""

from __future__ import annotations

from typing import Any

from exprsn_pds import AppPasswordInfo, XrpcContext, caller_did
from exprsn_pds.syntax import Datetime


def _listed(info: AppPasswordInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "createdAt": str(Datetime.from_datetime(info.created_at)),
        "privileged": info.privileged,
    }


async def create_app_password(ctx: XrpcContext) -> dict[str, Any]:
    """A new app password; the only time its plain text is shown."""
    created = await ctx.pds.accounts.create_app_password(
        caller_did(ctx.auth), ctx.input["name"], privileged=bool(ctx.input.get("privileged"))
    )
    return {"password": created.password, **_listed(created.info)}


async def list_app_passwords(ctx: XrpcContext) -> dict[str, Any]:
    """The caller's app passwords (names and dates, never the passwords)."""
    return {
        "passwords": [
            _listed(info) for info in await ctx.pds.accounts.app_passwords(caller_did(ctx.auth))
        ]
    }


async def revoke_app_password(ctx: XrpcContext) -> None:
    """Delete an app password and end every session opened with it."""
    await ctx.pds.accounts.revoke_app_password(caller_did(ctx.auth), ctx.input["name"])
