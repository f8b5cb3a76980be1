"""``MemoryCache``: the cache of a single-process server, without Redis."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from exprsn_pds.bounded_queue import BoundedQueue, QueueClosed, QueueOverflowed
from exprsn_pds.cache.base import MS_PER_S, SubscriptionLost, ttl_ms

DEFAULT_MAX_QUEUED_MESSAGES: Final = 1000
DEFAULT_PURGE_INTERVAL_S: Final = 60.0


@dataclass
class _Entry:
    value: bytes
    expires_at: float | None


class MemoryCache:
    """An in-process :class:`~exprsn_pds.cache.base.Cache`.

    Expiry uses the monotonic clock; expired entries are dropped when read, and all of
    them at most every ``purge_interval_s`` on a write. Each subscriber buffers at most
    ``max_queued_messages``; one that falls further behind loses its subscription
    (:class:`~exprsn_pds.cache.base.SubscriptionLost`) instead of growing without bound.
    """

    def __init__(
        self,
        *,
        max_queued_messages: int = DEFAULT_MAX_QUEUED_MESSAGES,
        purge_interval_s: float = DEFAULT_PURGE_INTERVAL_S,
    ) -> None:
        self._entries: dict[str, _Entry] = {}
        self._subscribers: dict[str, set[MemorySubscription]] = {}
        self._max_queued_messages = max_queued_messages
        self._purge_interval_s = purge_interval_s
        self._next_purge = time.monotonic() + purge_interval_s

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None`` if absent or expired."""
        entry = self._live_entry(key)
        return None if entry is None else entry.value

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values stored under ``keys``, in order (``None`` where absent or expired)."""
        entries = [self._live_entry(key) for key in keys]
        return [None if entry is None else entry.value for entry in entries]

    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl_s`` seconds if given."""
        self._purge_if_due()
        self._entries[key] = _Entry(value, _expiry(ttl_s))

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""
        self._entries.pop(key, None)

    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        """Add ``amount`` to the counter ``key``; ``ttl_s`` applies while it has no expiry."""
        entry = self._live_entry(key)
        if entry is None:
            self._purge_if_due()
            entry = self._entries[key] = _Entry(b"0", None)
        try:
            value = int(entry.value) + amount
        except ValueError:
            raise ValueError(f"cache key {key!r} does not hold an integer") from None
        entry.value = str(value).encode()
        if entry.expires_at is None:
            entry.expires_at = _expiry(ttl_s)
        return value

    async def publish(self, channel: str, message: bytes) -> None:
        """Queue ``message`` for every current subscriber of ``channel``."""
        for subscription in self._subscribers.get(channel, ()):
            subscription.deliver(message)

    def subscribe(self, channel: str) -> MemorySubscription:
        """A subscription to ``channel``; it subscribes when entered."""
        return MemorySubscription(self._subscribers, channel, self._max_queued_messages)

    async def ping(self) -> bool:
        """Always ``True``: the cache lives in this process."""
        return True

    async def close(self) -> None:
        """Drop every entry and end every open subscription."""
        self._entries.clear()
        for subscriptions in self._subscribers.values():
            for subscription in subscriptions:
                subscription.end()
        self._subscribers.clear()

    def _live_entry(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and _expired(entry, time.monotonic()):
            del self._entries[key]
            return None
        return entry

    def _purge_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + self._purge_interval_s
        expired = [key for key, entry in self._entries.items() if _expired(entry, now)]
        for key in expired:
            del self._entries[key]


class MemorySubscription:
    """One subscriber's bounded queue of messages on one channel of a ``MemoryCache``."""

    def __init__(
        self, subscribers: dict[str, set[MemorySubscription]], channel: str, max_queued: int
    ) -> None:
        self._subscribers = subscribers
        self._channel = channel
        self._queue: BoundedQueue[bytes] = BoundedQueue(max_queued)
        self._entered = False

    async def __aenter__(self) -> MemorySubscription:
        self._subscribers.setdefault(self._channel, set()).add(self)
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        subscriptions = self._subscribers.get(self._channel)
        if subscriptions is not None:
            subscriptions.discard(self)
            if not subscriptions:
                del self._subscribers[self._channel]
        self.end()

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> bytes:
        if not self._entered:
            raise RuntimeError("enter the subscription (async with) before reading it")
        try:
            return await self._queue.get()
        except QueueOverflowed:
            raise SubscriptionLost(
                f"subscriber to {self._channel!r} fell {self._queue.max_items} messages behind"
            ) from None
        except QueueClosed:
            raise StopAsyncIteration from None

    def deliver(self, message: bytes) -> None:
        """Queue ``message``; a full queue is dropped and the subscription lost."""
        self._queue.put(message)

    def end(self) -> None:
        """End iteration once the queued messages are read."""
        self._queue.close()


def _expiry(ttl_s: float | None) -> float | None:
    milliseconds = ttl_ms(ttl_s)
    return None if milliseconds is None else time.monotonic() + milliseconds / MS_PER_S


def _expired(entry: _Entry, now: float) -> bool:
    return entry.expires_at is not None and entry.expires_at <= now
