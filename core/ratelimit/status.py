"""Where a key stands against a limit, and the ``RateLimit-*`` headers that say so.

The headers are the ones the official PDS sends: ``RateLimit-Limit`` (points per window),
``RateLimit-Remaining``, ``RateLimit-Reset`` (Unix time, in seconds, when the window
ends) and ``RateLimit-Policy`` (``<limit>;w=<window seconds>``); a 429 adds
``Retry-After`` (seconds).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

RETRY_AFTER_HEADER = "Retry-After"


@dataclass(frozen=True)
class RateLimitStatus:
    """One key's standing in one limit's current window."""

    name: str
    limit: int
    window_s: int
    remaining: int
    reset_at: float  # Unix time the window ends
    exceeded: bool

    def headers(self) -> dict[str, str]:
        """The ``RateLimit-*`` response headers."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.floor(self.reset_at)),
            "RateLimit-Policy": f"{self.limit};w={self.window_s}",
        }

    def rejection_headers(self) -> dict[str, str]:
        """The headers of a 429: ``RateLimit-*`` and ``Retry-After``."""
        wait_s = max(0, math.ceil(self.reset_at - time.time()))
        return {**self.headers(), RETRY_AFTER_HEADER: str(wait_s)}


def tightest(
    current: RateLimitStatus | None, candidate: RateLimitStatus | None
) -> RateLimitStatus | None:
    """Of two statuses, the one with fewer points left (what the headers report)."""
    if current is None:
        return candidate
    if candidate is None or current.remaining <= candidate.remaining:
        return current
    return candidate
