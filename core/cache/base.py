"""The cache interface every backend implements, and the errors it raises.

Keys and channels are plain strings, values and messages bytes. A backend shared
between processes (Redis) prefixes every key and channel, so deployments and tests on
one server do not collide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import TracebackType
from typing import Final, Protocol, runtime_checkable

MS_PER_S: Final = 1000


class SubscriptionLost(Exception):
    """A subscription can no longer deliver every message (too slow, or disconnected).

    The subscriber should stop, and resubscribe if it still wants messages, recovering
    what it missed from durable storage.
    """


@runtime_checkable
class Subscription(Protocol):
    """Messages published on one channel, in order, from the moment it is entered.

    Use as ``async with cache.subscribe(channel) as messages: async for message in
    messages: ...``. Iteration ends when the cache closes, and raises
    :class:`SubscriptionLost` once a message could not be delivered.
    """

    async def __aenter__(self) -> Subscription:
        """Subscribe; every message published after this returns is delivered.

        Raises :class:`SubscriptionLost` when the backend cannot be reached.
        """
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Unsubscribe."""
        ...

    def __aiter__(self) -> Subscription:
        """The subscription is its own iterator."""
        ...

    async def __anext__(self) -> bytes:
        """Wait for the next message."""
        ...


@runtime_checkable
class Cache(Protocol):
    """Short-lived shared state: values with expiry, counters and pub/sub."""

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None`` if absent or expired."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values stored under ``keys``, in order (``None`` where absent or expired),
        read in one round trip."""
        ...

    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl_s`` seconds if given."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""
        ...

    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        """Add ``amount`` to the counter ``key`` (created at 0) and return the new value.

        ``ttl_s`` sets the expiry only while the counter has none, i.e. when it is
        created: later increments do not extend it (fixed windows for rate limits).
        Raises ``ValueError`` if ``key`` holds something other than an integer.
        """
        ...

    async def publish(self, channel: str, message: bytes) -> None:
        """Send ``message`` to everyone currently subscribed to ``channel``."""
        ...

    def subscribe(self, channel: str) -> Subscription:
        """A subscription to ``channel``; it subscribes when entered."""
        ...

    async def ping(self) -> bool:
        """Whether the backend answers."""
        ...

    async def close(self) -> None:
        """Release connections; open subscriptions end."""
        ...


def ttl_ms(ttl_s: float | None) -> int | None:
    """``ttl_s`` in whole milliseconds (rounded up); refuses a TTL that is not positive."""
    if ttl_s is None:
        return None
    if not ttl_s > 0:
        raise ValueError(f"ttl_s must be positive, got {ttl_s}")
    return math.ceil(ttl_s * MS_PER_S)
