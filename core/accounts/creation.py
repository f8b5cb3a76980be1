"""Creating an account: its row, its repository with the first commit, its events.

The account row, the invite code's use, the repo with its first commit and the
``#identity``, ``#account`` and ``#commit`` events are written in one transaction. An
account moving here with its DID gets the signing key reserved for that DID
(:mod:`exprsn_pds.accounts.reserved_keys`), and the reservation is spent in that
transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.accounts.invites import spend_code
from exprsn_pds.accounts.lifecycle import account_event
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.passwords import (
    NEW_PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    hash_password,
)
from exprsn_pds.accounts.status import AccountStatus
from exprsn_pds.accounts.tombstones import refuse_buried
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.errors import (
    AccountAlreadyExists,
    HandleNotAvailable,
    InvalidInviteCode,
    InvalidRequest,
)
from exprsn_pds.events import AnyEvent, IdentityEvent
from exprsn_pds.identity.handles import normalize_account_handle, service_domain_of

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SIGNING_KEY_CURVE = "k256"


@dataclass(frozen=True)
class NewAccount:
    """What ``createAccount`` asks for."""

    handle: str
    email: str | None
    password: str | None
    invite_code: str | None = None
    recovery_key: str | None = None
    did: str | None = None


def check_email(email: str | None) -> str:
    """``email`` lower-cased, if it looks like an address; 400 otherwise."""
    if not email:
        raise InvalidRequest("Email is required")
    normalized = email.strip().lower()
    if not EMAIL_PATTERN.match(normalized):
        raise InvalidRequest("This email address is not supported, please use a different email.")
    return normalized


def check_new_password(password: str | None) -> str:
    """``password``, if its length is acceptable; 400 otherwise."""
    if not password:
        raise InvalidRequest("Password is required")
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidRequest(f"Password must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > NEW_PASSWORD_MAX_LENGTH:
        raise InvalidRequest(f"Password too long: at most {NEW_PASSWORD_MAX_LENGTH} characters")
    return password


async def create_account(pds: Pds, request: NewAccount, *, deactivated: bool = False) -> Account:
    """Create the account and its repository; the new account row.

    ``deactivated`` (a migration) starts the account deactivated: its repo exists, but
    no event announces it until it is activated.
    """
    settings = pds.settings
    handle = normalize_account_handle(
        request.handle, settings.service_handle_domains, allow_external=request.did is not None
    )
    if request.did is not None:
        await _check_brought_handle(pds, handle, request.did)
    email = check_email(request.email)
    password_hash = await hash_password(check_new_password(request.password))
    if settings.invite_required and not request.invite_code:
        raise InvalidInviteCode(missing=True)
    await _check_available(handle, email)
    key = await _signing_key_for(pds, request.did)
    did = request.did or await pds.identity.create_did(
        handle, key.public_key(), request.recovery_key
    )
    if await Account.exists(did=did):
        raise AccountAlreadyExists()
    await refuse_buried(did)

    async def add_account_rows(connection: BaseDBAsyncClient) -> None:
        await _check_available(handle, email, connection)
        if request.invite_code:
            await spend_code(connection, request.invite_code, did)
        if request.did is not None:
            await pds.reserved_keys.spend(connection, did)
        await Account.create(
            did=did,
            handle=handle,
            email=email,
            password_hash=password_hash,
            deactivated_at=dt.datetime.now(dt.UTC) if deactivated else None,
            using_db=connection,
        )

    events: list[AnyEvent] = (
        []
        if deactivated
        else [IdentityEvent(did=did, handle=handle), account_event(did, AccountStatus.ACTIVE)]
    )
    await pds.repo_writer.create_repo(
        did,
        key,
        events=events,
        also=add_account_rows,
        status=AccountStatus.DEACTIVATED.value if deactivated else AccountStatus.ACTIVE.value,
        sequence_commit=not deactivated,
    )
    return await Account.get(did=did)


async def _signing_key_for(pds: Pds, did: str | None) -> PrivateKey:
    """The new repo's signing key: the one reserved for a moving account's DID (so the
    PLC operation it signed before moving names it), else a new one."""
    if did is not None:
        reserved = await pds.reserved_keys.find(pds.repo_writer.keys, did)
        if reserved is not None:
            return reserved
    return PrivateKey.generate(SIGNING_KEY_CURVE)


async def _check_brought_handle(pds: Pds, handle: str, did: str) -> None:
    """A moving account may keep a handle of its own domain if it resolves to its DID."""
    if service_domain_of(handle, pds.settings.service_handle_domains) is not None:
        return
    if await pds.identity.resolve_handle(handle) != did:
        raise InvalidRequest("External handle did not resolve to DID")


async def _check_available(
    handle: str, email: str, connection: BaseDBAsyncClient | None = None
) -> None:
    """400 unless ``handle`` and ``email`` are free (in ``connection``'s transaction, if given)."""
    if await Account.filter(handle=handle).using_db(connection).exists():
        raise HandleNotAvailable(handle)
    if await Account.filter(email=email).using_db(connection).exists():
        raise InvalidRequest(f"Email already taken: {email}")
