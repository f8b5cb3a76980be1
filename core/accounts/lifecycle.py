"""Changing an account's standing: deactivate, activate, take down, delete.

Each change updates the account and its repo's status and sequences an ``#account``
event in the same transaction, then announces the event.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.accounts.models import (
    Account,
    AppPassword,
    EmailToken,
    InviteCode,
    RefreshToken,
)
from exprsn_pds.accounts.status import AccountStatus, account_status, status_fields
from exprsn_pds.accounts.tombstones import bury
from exprsn_pds.datamodel import Cid, write_car
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.events.types import SequencedEvent
from exprsn_pds.identity.service import sequence_identity_event
from exprsn_pds.logs import get_logger
from exprsn_pds.repo.models import Blob, Record, RecordBlob, Repo, RepoBlock

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

log = get_logger(__name__)


NO_EMAIL = "account does not have an email address"


async def require_account(did: str) -> Account:
    """The account ``did``; 400 AccountNotFound when there is none."""
    account = await Account.get_or_none(did=did)
    if account is None:
        raise InvalidRequest("Account not found", error="AccountNotFound")
    return account


async def require_account_with_email(did: str) -> tuple[Account, str]:
    """The account ``did`` and its e-mail address; 400 when it has none."""
    account = await require_account(did)
    if not account.email:
        raise InvalidRequest(NO_EMAIL)
    return account, account.email


def account_event_body(did: str, status: AccountStatus) -> dict[str, object]:
    """An ``#account`` event: ``did`` and what its standing now is."""
    return {"did": did, **status_fields(status)}


async def sequence_account_event(
    pds: Pds, connection: BaseDBAsyncClient, did: str, status: AccountStatus
) -> SequencedEvent:
    """Sequence ``#account`` for ``did`` in the open transaction."""
    body = account_event_body(did, status)
    return await pds.sequencer.sequence(connection, did=did, type="account", body=body)


async def _sync_event_body(did: str) -> dict[str, object]:
    """``#sync``: the repo's current commit, for relays to resynchronise from."""
    repo = await Repo.get(did=did)
    head = Cid.parse(repo.head)
    commit = await RepoBlock.get(did=did, cid=repo.head)
    return {"did": did, "rev": repo.rev, "blocks": write_car([head], [(head, commit.content)])}


async def _change(pds: Pds, did: str, **changes: object) -> AccountStatus:
    """Apply ``changes`` to the account; sequence what its new standing means."""
    async with pds.database.transaction() as connection:
        account = await Account.select_for_update().get_or_none(did=did)
        if account is None:
            raise InvalidRequest("Account not found", error="AccountNotFound")
        before = account_status(account)
        account.update_from_dict(changes)
        await account.save(update_fields=list(changes))
        after = account_status(account)
        await Repo.filter(did=did).update(status=after.value)
        events = []
        if after != before:
            if after is AccountStatus.ACTIVE:
                events.append(
                    await sequence_identity_event(
                        pds.sequencer, connection, did, account.handle or None
                    )
                )
            events.append(await sequence_account_event(pds, connection, did, after))
            if after is AccountStatus.ACTIVE:
                events.append(
                    await pds.sequencer.sequence(
                        connection, did=did, type="sync", body=await _sync_event_body(did)
                    )
                )
    for event in events:
        await pds.sequencer.publish(event)
    return after


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
    async with pds.database.transaction() as connection:
        for model in (Repo, RepoBlock, Record, RecordBlob, Blob, Account):
            await model.filter(did=did).delete()
        for owned in (RefreshToken, AppPassword, EmailToken):
            await owned.filter(did=did).delete()
        await InviteCode.filter(for_account=did).update(disabled=True)
        await bury(did)
        # Sequence first: sequence numbers come from the newest event, which may be one
        # of the account's, so deleting those first could hand out a used number again.
        event = await sequence_account_event(pds, connection, did, AccountStatus.DELETED)
        await RepoEvent.filter(did=did, seq__lt=event.seq).delete()
    await pds.sequencer.publish(event)
    for cid, temp_key in stored:
        try:
            if temp_key is None:
                await pds.blobs.store.delete(did, Cid.parse(str(cid)))
            else:
                await pds.blobs.store.delete_temp(str(temp_key))
        except OSError:
            log.exception("could not delete a blob of a deleted account", did=did, cid=cid)
