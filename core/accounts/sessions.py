"""Sessions: access and refresh JWT pairs, refresh tokens stored server-side.

Refresh tokens are rows of :class:`RefreshToken`. Refreshing rotates: the used token
gets a successor id and its life is cut to the reuse grace period, so a client that
lost the answer can retry and receives the same successor. Revoking deletes the rows:
``deleteSession`` one session's, a password change all of an account's; it also lists
the sessions in :class:`~exprsn_pds.accounts.revocation.TokenRevocations`, so that their
access tokens stop working at once, not when they expire.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from exprsn_pds.accounts.models import Account, AppPassword, RefreshToken
from exprsn_pds.accounts.revocation import TokenRevocations
from exprsn_pds.config import Settings
from exprsn_pds.tokens import ACCESS_TYP, REFRESH_TYP, Scope, mint


@dataclass(frozen=True)
class AppPasswordGrant:
    """The app password a session was opened with."""

    name: str
    privileged: bool


@dataclass(frozen=True)
class SessionTokens:
    """A fresh access/refresh JWT pair."""

    access_jwt: str
    refresh_jwt: str


def access_scope(grant: AppPasswordGrant | None, *, takendown: bool = False) -> Scope:
    """The access-token scope of a session opened with ``grant`` (``None``: the password).

    A taken-down account's session gets the takedown scope, which reads but never writes.
    """
    if takendown:
        return Scope.TAKENDOWN
    if grant is None:
        return Scope.ACCESS
    return Scope.APP_PASS_PRIVILEGED if grant.privileged else Scope.APP_PASS


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_token_id() -> str:
    return uuid.uuid4().hex


class SessionManager:
    """Issues, rotates and revokes session tokens."""

    def __init__(self, settings: Settings, revocations: TokenRevocations) -> None:
        self._settings = settings
        self.revocations = revocations

    def _pair(
        self,
        did: str,
        grant: AppPasswordGrant | None,
        token_id: str,
        session_id: str,
        *,
        takendown: bool,
    ) -> SessionTokens:
        settings = self._settings
        access = mint(
            secret=settings.jwt_secret,
            did=did,
            audience=settings.service_did,
            scope=access_scope(grant, takendown=takendown),
            ttl_s=settings.access_token_ttl_s,
            typ=ACCESS_TYP,
            session_id=session_id,
        )
        refresh = mint(
            secret=settings.jwt_secret,
            did=did,
            audience=settings.service_did,
            scope=Scope.REFRESH,
            ttl_s=settings.refresh_token_ttl_s,
            typ=REFRESH_TYP,
            jti=token_id,
            session_id=session_id,
        )
        return SessionTokens(access_jwt=access, refresh_jwt=refresh)

    async def create(
        self, did: str, grant: AppPasswordGrant | None = None, *, takendown: bool = False
    ) -> SessionTokens:
        """A new session for ``did``; its refresh token is stored."""
        token_id = _new_token_id()
        await RefreshToken.create(
            id=token_id,
            did=did,
            expires_at=_now() + dt.timedelta(seconds=self._settings.refresh_token_ttl_s),
            app_password_name=grant.name if grant else None,
            session_id=token_id,
        )
        return self._pair(did, grant, token_id, token_id, takendown=takendown)

    async def rotate(self, token_id: str) -> SessionTokens | None:
        """The next pair for a stored refresh token; ``None`` if revoked or past its grace.

        Reusing a token within the grace period answers with the same successor id.
        """
        now = _now()
        token = await RefreshToken.get_or_none(id=token_id)
        if token is None:
            return None
        await RefreshToken.filter(did=token.did, expires_at__lte=now).delete()
        if token.expires_at <= now:
            return None
        grace_end = now + dt.timedelta(seconds=self._settings.refresh_grace_s)
        expires_at = min(token.expires_at, grace_end)
        grant = await self._grant(token.did, token.app_password_name)
        if token.app_password_name is not None and grant is None:
            return None
        next_id = token.next_id or _new_token_id()
        updated = await RefreshToken.filter(
            Q(id=token_id) & (Q(next_id__isnull=True) | Q(next_id=next_id))
        ).update(expires_at=expires_at, next_id=next_id)
        if not updated:
            return await self.rotate(token_id)
        session_id = _session_of(token)
        if not await RefreshToken.exists(id=next_id):
            await RefreshToken.create(
                id=next_id,
                did=token.did,
                expires_at=now + dt.timedelta(seconds=self._settings.refresh_token_ttl_s),
                app_password_name=token.app_password_name,
                session_id=session_id,
            )
        if await self.revocations.session_revoked(session_id):
            # The session ended while this refresh ran: its successor must not outlive it.
            await RefreshToken.filter(Q(session_id=session_id) | Q(id=token.id)).delete()
            return None
        account = await Account.get_or_none(did=token.did)
        if account is None:
            return None
        return self._pair(
            token.did, grant, next_id, session_id, takendown=bool(account.takedown_ref)
        )

    @staticmethod
    async def _grant(did: str, app_password_name: str | None) -> AppPasswordGrant | None:
        if app_password_name is None:
            return None
        found = await AppPassword.get_or_none(did=did, name=app_password_name)
        return AppPasswordGrant(found.name, found.privileged) if found else None

    async def revoke(self, token_id: str) -> None:
        """End the session of one refresh token (``deleteSession``)."""
        token = await RefreshToken.get_or_none(id=token_id)
        if token is not None:
            await self._end(token.did, Q(session_id=_session_of(token)) | Q(id=token.id))

    async def revoke_all(
        self,
        did: str,
        *,
        access_tokens: bool = True,
        connection: BaseDBAsyncClient | None = None,
    ) -> None:
        """End every session of an account (password change, deactivation, deletion), on
        ``connection``'s transaction when given.

        ``access_tokens=False`` (a takedown) only stops the sessions from refreshing: the
        owner of a taken-down account may still read with the access tokens it holds.
        """
        await self._end(did, Q(), access_tokens=access_tokens, connection=connection)

    async def revoke_app_password(
        self, did: str, name: str, *, connection: BaseDBAsyncClient | None = None
    ) -> None:
        """End the sessions opened with one app password (on ``connection``'s transaction
        when given)."""
        await self._end(did, Q(app_password_name=name), connection=connection)

    async def _end(
        self,
        did: str,
        which: Q,
        *,
        access_tokens: bool = True,
        connection: BaseDBAsyncClient | None = None,
    ) -> None:
        """Delete the matching refresh tokens of ``did``; revoke their sessions' access tokens."""
        ended = RefreshToken.filter(Q(did=did) & which).using_db(connection)
        sessions = {_session_of(token) for token in await ended}
        await ended.delete()
        if access_tokens:
            await self.revocations.revoke(did, sessions)


def _session_of(token: RefreshToken) -> str:
    """The session a stored refresh token belongs to (older rows: their own id)."""
    return token.session_id or token.id
