"""``RateLimiter``: counts hits per limit and key, in process or in Redis.

Counters live in a :mod:`limits` asynchronous storage: ``MemoryStorage`` without Redis,
``RedisStorage`` (redis-py, keys under ``<redis.key_prefix>ratelimit:``) with it, so every
server process sharing the Redis shares the counters. Each hit is the fixed-window
strategy of :mod:`limits` taken apart: one ``incr`` (which opens the window on a key's
first hit) returns the count with the hit, one ``get_expiry`` gives the window's end.

When rate limits are disabled nothing is opened and every call returns at once. When
the storage fails (Redis down), the request is let through and the failure logged, as
the official PDS does: an outage of the counters is no reason to refuse service.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.errors import StorageError

from exprsn_pds.errors import RateLimitExceeded
from exprsn_pds.logs import get_logger
from exprsn_pds.ratelimit.rules import RateLimit
from exprsn_pds.ratelimit.status import RateLimitStatus

REDIS_KEY_SPACE = "ratelimit"
EXCEEDED_MESSAGE = "Rate Limit Exceeded"
# limits wants its own URL schemes for the asyncio Redis storage.
LIMITS_REDIS_SCHEMES = {
    "redis": "async+redis",
    "rediss": "async+rediss",
    "unix": "async+redis+unix",
}

log = get_logger(__name__)


def limits_redis_uri(redis_url: str) -> str:
    """``redis://``, ``rediss://`` or ``unix://`` → the scheme ``limits`` expects."""
    scheme, separator, rest = redis_url.partition("://")
    if not separator or scheme not in LIMITS_REDIS_SCHEMES:
        raise ValueError(f"unsupported Redis URL scheme: {scheme!r}")
    return f"{LIMITS_REDIS_SCHEMES[scheme]}://{rest}"


class RateLimiter:
    """Consumes points of :class:`RateLimit` s; opened and closed with the server."""

    def __init__(self, *, enabled: bool, redis_url: str | None, redis_key_prefix: str) -> None:
        self.enabled = enabled
        self._redis_url = redis_url
        self._redis_key_prefix = redis_key_prefix
        self._storage: Storage | None = None
        self._pool: redis.asyncio.ConnectionPool | None = None

    def __repr__(self) -> str:
        return f"<RateLimiter {self.backend}>"

    @property
    def backend(self) -> str:
        """Where the counters live: ``"memory"``, ``"redis"``, or ``"off"`` when disabled."""
        if not self.enabled:
            return "off"
        return "redis" if self._redis_url is not None else "memory"

    async def open(self) -> None:
        """Open the counter storage (nothing when disabled)."""
        if not self.enabled:
            return
        if self._redis_url is None:
            self._storage = MemoryStorage()
            return
        self._pool = redis.asyncio.ConnectionPool.from_url(self._redis_url)
        # limits types its client options as scalars; a shared pool is one too.
        options: dict[str, Any] = {"connection_pool": self._pool}
        self._storage = RedisStorage(
            limits_redis_uri(self._redis_url),
            implementation="redispy",
            key_prefix=f"{self._redis_key_prefix}{REDIS_KEY_SPACE}",
            wrap_exceptions=True,
            **options,
        )

    async def close(self) -> None:
        """Close the Redis connections (in-process counters are simply dropped)."""
        self._storage = None
        if self._pool is not None:
            await self._pool.disconnect()
            self._pool = None

    async def hit(self, limit: RateLimit, key: str, *, cost: int = 1) -> RateLimitStatus | None:
        """Charge ``cost`` points to ``key`` under ``limit``; the standing afterwards.

        Over-limit hits count too (a client hammering a closed window stays shut out).
        ``None`` when disabled, when ``cost`` is under one point, or when the storage
        failed (logged).
        """
        if not self.enabled or cost < 1:
            return None
        if self._storage is None:
            raise RuntimeError("the rate limiter is opened when the server starts")
        counter = limit.item.key_for(key)
        try:
            count = await self._storage.incr(counter, limit.window_s, amount=cost)
            reset_at = await self._storage.get_expiry(counter)
        except StorageError as error:
            log.error("rate limit storage failed", limit=limit.name, error=str(error))
            return None
        return RateLimitStatus(
            name=limit.name,
            limit=limit.amount,
            window_s=limit.window_s,
            remaining=max(0, limit.amount - count),
            reset_at=reset_at,
            exceeded=count > limit.amount,
        )

    async def consume(self, limit: RateLimit, key: str, *, cost: int = 1) -> RateLimitStatus | None:
        """Like :meth:`hit`, but raise 429 ``RateLimitExceeded`` (with headers) when over."""
        status = await self.hit(limit, key, cost=cost)
        if status is not None and status.exceeded:
            raise exceeded_error(status)
        return status


def exceeded_error(status: RateLimitStatus) -> RateLimitExceeded:
    """The 429 answer for ``status``, carrying its headers."""
    return RateLimitExceeded(EXCEEDED_MESSAGE, headers=status.rejection_headers())
