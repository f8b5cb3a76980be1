"""App passwords: named passwords with reduced rights, created, listed and revoked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from exprsn_pds.accounts.models import AppPassword
from exprsn_pds.accounts.passwords import generate_app_password, hash_app_password
from exprsn_pds.errors import InvalidRequest

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds


@dataclass(frozen=True)
class AppPasswordInfo:
    """An app password as listed: never the password itself."""

    name: str
    created_at: dt.datetime
    privileged: bool


@dataclass(frozen=True)
class NewAppPassword:
    """A created app password, with its plain text (shown this once)."""

    info: AppPasswordInfo
    password: str


def _info(row: AppPassword) -> AppPasswordInfo:
    return AppPasswordInfo(row.name, row.created_at, row.privileged)


async def create_app_password(did: str, name: str, *, privileged: bool) -> NewAppPassword:
    """A new app password named ``name`` (trimmed; 400 if empty or already used)."""
    name = name.strip()
    if not name:
        raise InvalidRequest("App password name is required")
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
    return NewAppPassword(_info(created), password)


async def list_app_passwords(did: str) -> list[AppPasswordInfo]:
    """``did``'s app passwords, newest first."""
    rows = await AppPassword.filter(did=did).order_by("-created_at", "name")
    return [_info(row) for row in rows]


async def revoke_app_password(pds: Pds, did: str, name: str) -> None:
    """Delete an app password and end every session opened with it."""
    async with pds.database.transaction() as connection:
        await AppPassword.filter(did=did, name=name).using_db(connection).delete()
        await pds.sessions.revoke_app_password(did, name, connection=connection)
