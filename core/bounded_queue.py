"""``BoundedQueue``: one subscriber's queue that is dropped, never grown, when it overflows.

Used wherever a producer must not wait for a consumer: the in-process cache's channel
subscriptions and the firehose hub's subscribers. A queue holds at most ``max_items``
items (and, given ``measure``, at most ``max_bytes`` of them); an item that does not fit
drops the whole queue and marks it overflowed, so a consumer that stopped reading costs
a bounded amount of memory and learns that it missed something. Closing the queue with
an error drops what it holds at once: the memory goes back when the consumer goes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueOverflowed(Exception):
    """Items were dropped because the queue was full."""


class QueueClosed(Exception):
    """The queue was closed and every item queued before is read."""


class BoundedQueue(Generic[T]):
    """A FIFO of at most ``max_items`` items (and ``max_bytes`` as ``measure`` counts them)."""

    def __init__(
        self,
        max_items: int,
        *,
        max_bytes: int | None = None,
        measure: Callable[[T], int] | None = None,
    ) -> None:
        if max_items < 1:
            raise ValueError(f"max_items must be at least 1, got {max_items}")
        if (max_bytes is None) != (measure is None):
            raise ValueError("max_bytes and measure go together")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._measure = measure
        self._items: deque[T] = deque()
        self._bytes = 0
        self._wakeup = asyncio.Event()
        self._overflowed = False
        self._closed = False
        self._error: Exception | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def queued_bytes(self) -> int:
        """The size of the queued items as ``measure`` counts them (0 without one)."""
        return self._bytes

    @property
    def overflowed(self) -> bool:
        """Whether items were dropped since creation (or the last :meth:`forgive_overflow`)."""
        return self._overflowed

    def forgive_overflow(self) -> None:
        """Accept items again after an overflow; the consumer recovers the dropped ones."""
        self._overflowed = False

    def put(self, item: T) -> None:
        """Queue ``item``; one that does not fit drops the queue and marks it overflowed."""
        if self._overflowed or self._closed:
            return
        size = self._measure(item) if self._measure is not None else 0
        full = len(self._items) >= self.max_items or (
            self.max_bytes is not None and self._bytes + size > self.max_bytes
        )
        if full:
            self._overflowed = True
            self._drop()
        else:
            self._items.append(item)
            self._bytes += size
        self._wakeup.set()

    def close(self, error: Exception | None = None) -> None:
        """Take no more items. With ``error``, drop the queued ones and raise it from
        :meth:`get`; without, :meth:`get` returns them and then raises :class:`QueueClosed`.
        """
        self._closed = True
        if error is not None and self._error is None:
            self._error = error
            self._drop()
        self._wakeup.set()

    async def get(self) -> T:
        """The oldest item, waiting for one.

        Raises the error the queue was closed with, :class:`QueueOverflowed` after an
        overflow, or :class:`QueueClosed` once closed and empty.
        """
        while True:
            if self._error is not None:
                raise self._error
            if self._overflowed:
                raise QueueOverflowed("the queue overflowed; items were dropped")
            if self._items:
                item = self._items.popleft()
                if self._measure is not None:
                    self._bytes -= self._measure(item)
                return item
            if self._closed:
                raise QueueClosed
            self._wakeup.clear()
            await self._wakeup.wait()

    def _drop(self) -> None:
        self._items.clear()
        self._bytes = 0
