"""``AccountService`` (``pds.accounts``): every account operation plugins may make.

Lookups answer :class:`~exprsn_pds.accounts.info.AccountInfo` values, never database
rows. Each operation has one implementation here (or in the module it names), which
every caller uses: ``createAccount`` and migrations, the account's own methods, the admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tortoise.expressions import Q

from exprsn_pds.accounts import app_passwords, invites, lifecycle, lookup, updates
from exprsn_pds.accounts.app_passwords import AppPasswordInfo, NewAppPassword
from exprsn_pds.accounts.creation import NewAccount, create_account
from exprsn_pds.accounts.info import AccountInfo
from exprsn_pds.accounts.invites import ADMIN_CREATOR, InviteCodeView
from exprsn_pds.accounts.login import Login, check_login, check_password
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.status import AccountStatus

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds


def _info(row: Account | None) -> AccountInfo | None:
    return None if row is None else AccountInfo.of(row)


class AccountService:
    """Accounts hosted here: lookups, creation, standing, credentials, invite codes."""

    #: The owner of invite codes minted for no account (the admin's).
    ADMIN_CREATOR = ADMIN_CREATOR

    def __init__(self, pds: Pds) -> None:
        self._pds = pds

    # --- Lookups -------------------------------------------------------------------------

    async def get(self, did: str) -> AccountInfo | None:
        """The account ``did``, or ``None``."""
        return _info(await Account.get_or_none(did=did))

    async def require(self, did: str) -> AccountInfo:
        """The account ``did``; 400 AccountNotFound."""
        return AccountInfo.of(await lookup.require_account(did))

    async def require_with_email(self, did: str) -> tuple[AccountInfo, str]:
        """The account ``did`` and its e-mail address; 400 if it has none (or no account)."""
        account, email = await lookup.require_account_with_email(did)
        return AccountInfo.of(account), email

    async def find(self, identifier: str) -> AccountInfo | None:
        """The account a handle, e-mail address or DID names (as typed at login)."""
        return _info(await lookup.find_account(identifier))

    async def by_handle(self, handle: str) -> AccountInfo | None:
        """The account whose handle is ``handle`` (lower-case), or ``None``."""
        return _info(await Account.get_or_none(handle=handle))

    async def by_email(self, email: str) -> AccountInfo | None:
        """The account whose address is ``email`` (trimmed, lower-cased), or ``None``."""
        return _info(await Account.get_or_none(email=email.strip().lower()))

    async def get_many(self, dids: Sequence[str]) -> list[AccountInfo]:
        """The known accounts among ``dids``, in that order, each once."""
        wanted = list(dict.fromkeys(dids))
        found = {row.did: row for row in await Account.filter(did__in=wanted)}
        return [AccountInfo.of(found[did]) for did in wanted if did in found]

    async def search(
        self, term: str = "", *, cursor: str | None = None, limit: int
    ) -> list[AccountInfo]:
        """Accounts whose e-mail or handle starts with ``term`` (all without), by DID.

        ``cursor`` is the last DID of the previous page.
        """
        query = Account.all()
        if term := term.strip().lower():
            query = query.filter(Q(email__startswith=term) | Q(handle__startswith=term))
        if cursor:
            query = query.filter(did__gt=cursor)
        return [AccountInfo.of(row) for row in await query.order_by("did").limit(limit)]

    # --- Creation and standing -----------------------------------------------------------

    async def create(self, request: NewAccount, *, deactivated: bool = False) -> AccountInfo:
        """Create the account with its repo and first commit (see ``creation.create_account``)."""
        return AccountInfo.of(await create_account(self._pds, request, deactivated=deactivated))

    async def reserve_signing_key(self, did: str | None) -> str:
        """The ``did:key`` of the signing key kept for ``did``, an account that will move
        here (see :mod:`exprsn_pds.accounts.reserved_keys`)."""
        pds = self._pds
        key = await pds.reserved_keys.reserve(pds.repo_writer.keys, did)
        return key.public_key().did_key()

    async def deactivate(self, did: str) -> AccountStatus:
        """Deactivate the account (idempotent); its standing after."""
        return await lifecycle.deactivate(self._pds, did)

    async def activate(self, did: str) -> AccountStatus:
        """Reactivate the account (a takedown still applies); its standing after."""
        return await lifecycle.activate(self._pds, did)

    async def set_takedown(self, did: str, ref: str | None) -> AccountStatus:
        """Take the account down under ``ref``, or lift its takedown (``None``)."""
        return await lifecycle.set_takedown(self._pds, did, ref)

    async def announce_status(self, did: str) -> None:
        """Sequence ``#account`` with the account's current standing again."""
        await lifecycle.announce_status(self._pds, did)

    async def delete(self, did: str) -> None:
        """Remove everything the account has here (``#account`` deleted announces it)."""
        await lifecycle.delete_account(self._pds, did)

    # --- Credentials ---------------------------------------------------------------------

    async def login(self, identifier: str, password: str) -> Login:
        """The account and app password a login names; 401 with one message for any failure.

        Every attempt takes at least ``accounts.login_min_duration_s``.
        """
        return await check_login(
            identifier, password, min_duration_s=self._pds.settings.login_min_duration_s
        )

    async def check_password(self, did: str, password: str) -> None:
        """Nothing if ``password`` is the account's own password; 400 or 401 otherwise."""
        await check_password(did, password)

    async def change_email(self, did: str, email: str) -> None:
        """A new, unconfirmed address, no code asked (the admin's change)."""
        await updates.change_email(self._pds, did, email)

    async def update_own_email(self, did: str, email: str, token: str | None) -> None:
        """The account's own change of address: a code is needed if the old one is confirmed."""
        await updates.update_own_email(self._pds, did, email, token)

    async def confirm_email(self, did: str, email: str, token: str) -> None:
        """Mark the address confirmed, given it and the code sent to it."""
        await updates.confirm_email(self._pds, did, email, token)

    async def change_password(self, did: str, password: str) -> None:
        """A new password; every session of the account is revoked."""
        await updates.change_password(self._pds, did, password)

    async def reset_password(self, token: str, password: str) -> None:
        """A new password given a reset code; every session of the account is revoked."""
        await updates.reset_password(self._pds, token, password)

    async def create_app_password(
        self, did: str, name: str, *, privileged: bool = False
    ) -> NewAppPassword:
        """A new app password (its plain text is in the answer only)."""
        return await app_passwords.create_app_password(did, name, privileged=privileged)

    async def app_passwords(self, did: str) -> list[AppPasswordInfo]:
        """The account's app passwords, newest first."""
        return await app_passwords.list_app_passwords(did)

    async def revoke_app_password(self, did: str, name: str) -> None:
        """Delete an app password and end the sessions opened with it."""
        await app_passwords.revoke_app_password(self._pds, did, name)

    # --- Invite codes --------------------------------------------------------------------

    async def create_invite_codes(
        self, for_account: str = ADMIN_CREATOR, *, uses: int, count: int = 1
    ) -> list[str]:
        """``count`` new codes of ``uses`` uses each, owned by ``for_account``."""
        return await invites.create_codes(
            self._pds.settings.hostname, for_account=for_account, uses=uses, count=count
        )

    async def invite_codes(
        self, sort: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[InviteCodeView], str | None]:
        """A page of every code (``recent`` or ``usage`` first) and the next cursor."""
        return await invites.list_codes(sort, limit=limit, cursor=cursor)

    async def account_invite_codes(self, did: str, *, include_used: bool) -> list[InviteCodeView]:
        """The account's own enabled codes, newest first."""
        return await invites.account_codes(did, include_used=include_used)

    async def invite_codes_of(self, dids: Sequence[str]) -> dict[str, list[InviteCodeView]]:
        """Each account's own codes, newest first."""
        return await invites.codes_of_accounts(dids)

    async def inviting_codes(self, dids: Sequence[str]) -> dict[str, InviteCodeView]:
        """The code each account was created with (those created with one)."""
        return await invites.inviting_codes(dids)

    async def disable_invite_codes(
        self, codes: Sequence[str] = (), accounts: Sequence[str] = ()
    ) -> None:
        """Disable ``codes`` and every code of ``accounts`` (never the admin's)."""
        await invites.disable_codes(codes, accounts)

    async def set_invites_disabled(self, did: str, disabled: bool) -> None:
        """Stop (or let again) the account's codes inviting."""
        await invites.set_invites_disabled(did, disabled)
