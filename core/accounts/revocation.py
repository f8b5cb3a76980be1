"""Revoked access tokens: a list in the shared cache, checked on every request.

Access tokens are JWTs checked without the database, so on their own they would work
until they expire (``accounts.access_token_ttl_s``) whatever happened to their session.
Each token names its session (``sid``, kept across refreshes); ending a session
(``deleteSession``, a password change or reset, revoking an app password, deactivation,
deletion) puts its id in this list, and a token whose session is listed is refused. An
entry lives as long as the last token it revokes could: the access-token lifetime.

The list lives in ``pds.cache``: with Redis every server process sees it, the in-process
cache serves one process and forgets on restart. So that a request does not wait for
Redis each time, a process remembers for ``accounts.revocation_check_interval_s`` that a
session was not revoked: other processes refuse its tokens within that interval, the
process that revoked it at once. Tokens minted before sessions had ids carry no ``sid``:
they are revoked together, per account, by any revocation of that account's sessions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Final

from exprsn_pds.cache import Cache
from exprsn_pds.lru import Lru
from exprsn_pds.tokens import TokenClaims

SESSION_KEY_PREFIX: Final = "revoked:session:"
UNNAMED_KEY_PREFIX: Final = "revoked:unnamed:"
#: How many "not revoked" answers a process remembers; past that the least recently
#: checked session is forgotten (its next check asks the cache again).
REMEMBERED_MAX_SESSIONS: Final = 65536
_MARK: Final = b"1"


class TokenRevocations:
    """Which sessions' access tokens are no longer accepted."""

    def __init__(
        self,
        ttl_s: float,
        *,
        check_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        remembered_max: int = REMEMBERED_MAX_SESSIONS,
    ) -> None:
        self._ttl_s = ttl_s
        self._check_interval_s = check_interval_s
        self._clock = clock
        self._cache: Cache | None = None
        # cache key -> when the cache last said it holds no revocation
        self._clear_since: Lru[str, float] = Lru(remembered_max)

    def open(self, cache: Cache) -> None:
        """Start using the shared cache (when the server starts)."""
        self._cache = cache

    @property
    def cache(self) -> Cache:
        """The shared cache; ``RuntimeError`` before the server started."""
        if self._cache is None:
            raise RuntimeError("token revocations are opened when the server starts")
        return self._cache

    async def revoke(self, did: str, session_ids: Iterable[str]) -> None:
        """Refuse from now on the access tokens of ``did``'s sessions ``session_ids``.

        The account's tokens that name no session are refused too.
        """
        keys = [SESSION_KEY_PREFIX + session_id for session_id in session_ids]
        keys.append(UNNAMED_KEY_PREFIX + did)
        for key in keys:
            await self.cache.set(key, _MARK, ttl_s=self._ttl_s)
            self._clear_since.pop(key)

    async def session_revoked(self, session_id: str) -> bool:
        """Whether session ``session_id`` was revoked, asking the cache (no remembering)."""
        return await self.cache.get(SESSION_KEY_PREFIX + session_id) is not None

    async def is_revoked(self, claims: TokenClaims) -> bool:
        """Whether the token with ``claims`` belongs to a revoked session.

        At most one cache read per session and ``check_interval_s``.
        """
        if claims.session_id is not None:
            key = SESSION_KEY_PREFIX + claims.session_id
        else:
            key = UNNAMED_KEY_PREFIX + claims.did
        now = self._clock()
        cleared = self._clear_since.get(key)
        if cleared is not None and now - cleared < self._check_interval_s:
            return False
        if await self.cache.get(key) is not None:
            return True
        self._clear_since.put(key, now)
        return False
