"""``CacheStats``: hits and misses of each named cache, in this process.

A cache user (a view cache of a plugin, say) records every lookup under its cache name;
``requests()`` is what a ``pds_cache_requests_total{cache, result}`` counter reads.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

HIT: Final = "hit"
MISS: Final = "miss"


class CacheStats:
    """Counts of cache lookups by ``(cache name, result)``, ``result`` ``hit`` or ``miss``."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, name: str, *, hits: int, misses: int) -> None:
        """Count ``hits`` and ``misses`` more lookups of the cache ``name``."""
        if hits:
            self._counts[(name, HIT)] += hits
        if misses:
            self._counts[(name, MISS)] += misses

    def requests(self) -> dict[tuple[str, str], int]:
        """``(cache name, result) → lookups`` since the process started."""
        return dict(self._counts)

    def hit_rate(self, name: str) -> float | None:
        """The share of ``name``'s lookups that hit, or ``None`` before the first one."""
        hits, misses = self._counts[(name, HIT)], self._counts[(name, MISS)]
        return hits / (hits + misses) if hits + misses else None
