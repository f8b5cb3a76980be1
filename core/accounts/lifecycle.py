"""Changing an account's standing: deactivate, activate, take down, delete.

Each change updates the account and its repo's status and adds an ``#account`` event
(with ``#identity`` and ``#sync`` on reactivation) to the same transaction, through the
event log's unit of work, which announces them once committed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.accounts.lookup import require_account
from exprsn_pds.accounts.models import (
    Account,
    AppPassword,
    EmailToken,
    InviteCode,
    RefreshToken,
)
from exprsn_pds.accounts.status import AccountStatus, account_status
from exprsn_pds.accounts.tombstones import bury
from exprsn_pds.datamodel import Cid
from exprsn_pds.errors import AccountNotFound, RepoNotFound
from exprsn_pds.events import AccountEvent, IdentityEvent, SyncEvent
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.logs import get_logger
from exprsn_pds.repo.models import Blob, Record, RecordBlob, RecordLabel, Repo, RepoBlock
from exprsn_pds.repo.store import fetch_blocks, repo_row, set_repo_status

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

log = get_logger(__name__)


def account_event(did: str, status: AccountStatus) -> AccountEvent:
    """An ``#account`` event: ``did`` and what its standing now is."""
    active = status is AccountStatus.ACTIVE
    return AccountEvent(did=did, active=active, status=None if active else status.value)


async def _sync_event(connection: BaseDBAsyncClient, did: str) -> SyncEvent:
    """``#sync``: the repo's current commit, for relays to resynchronise from."""
    repo = await repo_row(connection, did)
    if repo is None:
        raise RepoNotFound(did)
    [(_, commit)] = await fetch_blocks(connection, did, [repo.head])
    return SyncEvent.of_commit(did, repo.rev, Cid.parse(repo.head), commit)


async def _change(pds: Pds, did: str, **changes: object) -> AccountStatus:
    """Apply ``changes`` to the account; sequence what its new standing means."""
    async with pds.event_log.unit() as unit, unit.transaction() as connection:
        account = await Account.select_for_update().using_db(connection).get_or_none(did=did)
        if account is None:
            raise AccountNotFound()
        before = account_status(account)
        account.update_from_dict(changes)
        await account.save(update_fields=list(changes), using_db=connection)
        after = account_status(account)
        await set_repo_status(connection, did, after.value)
        if after != before:
            if after is AccountStatus.ACTIVE:
                unit.add(IdentityEvent(did=did, handle=account.handle or None))
            unit.add(account_event(did, after))
            if after is AccountStatus.ACTIVE:
                unit.add(await _sync_event(connection, did))
    return after


async def announce_status(pds: Pds, did: str) -> None:
    """Sequence the account's current standing again (the official PDS does, when asked)."""
    async with pds.event_log.unit() as unit, unit.transaction() as connection:
        account = await Account.get_or_none(did=did, using_db=connection)
        unit.add(account_event(did, account_status(account)))


async def deactivate(pds: Pds, did: str) -> AccountStatus:
    """Deactivate (idempotent): the account stops writing and disappears from reads."""
    account = await require_account(did)
    if account.deactivated_at is not None:
        return account_status(account)
    return await _change(pds, did, deactivated_at=dt.datetime.now(dt.UTC))


async def activate(pds: Pds, did: str) -> AccountStatus:
    """Reactivate a deactivated account (a takedown still applies)."""
    return await _change(pds, did, deactivated_at=None)


async def set_takedown(pds: Pds, did: str, ref: str | None) -> AccountStatus:
    """Take the account down under ``ref``, or lift its takedown (``None``)."""
    return await _change(pds, did, takedown_ref=ref)


async def delete_account(pds: Pds, did: str) -> None:
    """Remove everything the account has here and sequence ``#account`` deleted.

    The account's earlier events go too: their commits carry its records. Its DID is
    kept as a tombstone, never to be given to another account.
    """
    await require_account(did)
    await pds.sessions.revoke_all(did)
    stored = await Blob.filter(did=did).values_list("cid", "temp_key")
    async with pds.event_log.unit() as unit, unit.transaction() as connection:
        for model in (Repo, RepoBlock, Record, RecordBlob, RecordLabel, Blob, Account):
            await model.filter(did=did).using_db(connection).delete()
        for owned in (RefreshToken, AppPassword, EmailToken):
            await owned.filter(did=did).using_db(connection).delete()
        await InviteCode.filter(for_account=did).using_db(connection).update(disabled=True)
        await bury(connection, did)
        # Sequence first: sequence numbers come from the newest event, which may be one
        # of the account's, so deleting those first could hand out a used number again.
        unit.add(account_event(did, AccountStatus.DELETED))
        (event,) = await unit.flush()
        await RepoEvent.filter(did=did, seq__lt=event.seq).using_db(connection).delete()
    for cid, temp_key in stored:
        try:
            if temp_key is None:
                await pds.blobs.store.delete(did, Cid.parse(str(cid)))
            else:
                await pds.blobs.store.delete_temp(str(temp_key))
        except OSError:
            log.exception("could not delete a blob of a deleted account", did=did, cid=cid)
