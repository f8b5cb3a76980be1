"""Tombstones: every DID an account here ever had, kept after the account is deleted.

A DID names one account for ever: access tokens, records and relays' copies all carry
it. So a deleted account's DID is never given to a new account (creation refuses it,
and did:web creation picks another, see :mod:`exprsn_pds.identity.did_web`), and the
deleted account's tokens can never act on someone else's repo.
"""

from __future__ import annotations

import datetime as dt

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from exprsn_pds.accounts.models import DID_MAX_LENGTH
from exprsn_pds.errors import AccountAlreadyExists


class DidTombstone(Model):
    """A DID whose account was deleted here, and when."""

    did = fields.CharField(max_length=DID_MAX_LENGTH, primary_key=True)
    deleted_at = fields.DatetimeField()

    class Meta:
        table = "did_tombstone"


async def bury(connection: BaseDBAsyncClient, did: str) -> None:
    """Record that ``did``'s account is deleted, on the caller's transaction ``connection``."""
    now = dt.datetime.now(dt.UTC)
    await DidTombstone.update_or_create(
        defaults={"deleted_at": now}, did=did, using_db=connection
    )


async def is_buried(did: str) -> bool:
    """Whether an account with ``did`` was deleted here."""
    return await DidTombstone.exists(did=did)


async def refuse_buried(did: str) -> None:
    """400 ``AccountAlreadyExists`` when ``did`` belonged to an account deleted here."""
    if await is_buried(did):
        raise AccountAlreadyExists(deleted=True)
