"""One bounded least-recently-used map, weighed by entry count or by any measure of size.

The repo block cache bounds its blocks by bytes (``weigh=len``); the cache of decoded
MST nodes bounds them by count (no ``weigh``: each entry weighs 1), and so can any other
remembered state (``pop`` forgets an entry that went stale). The images plugin's disk
cache keeps file sizes and deletes the files the bound drops (``on_drop``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A map holding at most ``max_weight`` in total, the least recently used dropped first.

    ``weigh(value)`` is an entry's weight (1 each when not given); it must give the same
    answer for a value every time (values are immutable: bytes, sealed nodes, states).
    Values are never ``None`` (``get`` answers ``None`` for an absent key). Reading or
    writing an entry makes it the most recently used. A value heavier than the whole
    bound is not kept (keeping it would drop every other entry, then itself).
    ``on_drop(key, value)`` is called for every entry the bound drops, that too-heavy value
    included (not for ``pop`` nor for a value replaced under its key).
    """

    def __init__(
        self,
        max_weight: int,
        weigh: Callable[[V], int] | None = None,
        on_drop: Callable[[K, V], None] | None = None,
    ) -> None:
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._max_weight = max_weight
        self._weigh = weigh
        self._on_drop = on_drop
        self._weight = 0

    @property
    def weight(self) -> int:
        """The total weight of the entries kept."""
        return self._weight

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value under ``key``, refreshed as recently used; ``None`` when absent."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key`` (replacing any), then drop the least recently used
        entries until the total weight is within the bound."""
        entries, weigh = self._entries, self._weigh
        replaced = entries.pop(key, None)
        if replaced is not None:
            self._weight -= 1 if weigh is None else weigh(replaced)
        weight = 1 if weigh is None else weigh(value)
        if weight > self._max_weight:
            if self._on_drop is not None:
                self._on_drop(key, value)
            return
        entries[key] = value
        self._weight += weight
        while self._weight > self._max_weight:
            dropped_key, dropped = entries.popitem(last=False)
            self._weight -= 1 if weigh is None else weigh(dropped)
            if self._on_drop is not None:
                self._on_drop(dropped_key, dropped)

    def pop(self, key: K) -> V | None:
        """Forget ``key``; its value, or ``None`` when absent."""
        value = self._entries.pop(key, None)
        if value is not None:
            self._weight -= 1 if self._weigh is None else self._weigh(value)
        return value
