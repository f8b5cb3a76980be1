"""Applying a method's limits to one call: keys, costs, the 429, the headers to send.

A call's limits are consumed together (concurrently: one Redis round trip of latency);
all of them count even when one is exceeded, as in the official PDS. The tightest
standing seen during the call (fewest points left) is what its response headers report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from exprsn_pds.ratelimit.limiter import exceeded_error
from exprsn_pds.ratelimit.rules import LimitUse
from exprsn_pds.ratelimit.status import tightest

if TYPE_CHECKING:
    from exprsn_pds.ratelimit.limiter import RateLimiter
    from exprsn_pds.xrpc.types import XrpcContext


async def enforce(limiter: RateLimiter, uses: Sequence[LimitUse], call: XrpcContext) -> None:
    """Charge each use to its key for ``call``; keep the tightest standing on the call.

    Raises 429 ``RateLimitExceeded`` when any limit is over: with the headers of the one
    whose window ends last, since the client has to wait for that one anyway.
    """
    hits = []
    for use in uses:
        key = use.limit.key.compute(call)
        if key is not None:
            hits.append(limiter.hit(use.limit, key, cost=use.points(call)))
    statuses = await asyncio.gather(*hits)
    over = [status for status in statuses if status is not None and status.exceeded]
    if over:
        raise exceeded_error(max(over, key=lambda status: status.reset_at))
    for status in statuses:
        call.rate_limit_status = tightest(call.rate_limit_status, status)
