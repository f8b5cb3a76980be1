"""Rate limits: named limits, their keys and costs, the limiter, and their enforcement.

See ``docs/rate_limits.md``. The official PDS's limits are in
:mod:`exprsn_pds.ratelimit.official`.
"""

from exprsn_pds.ratelimit.limiter import RateLimiter
from exprsn_pds.ratelimit.rules import (
    BY_DID,
    BY_IP,
    CostFunction,
    KeyFunction,
    LimitUse,
    RateLimit,
    RateLimitKey,
    by_input_field_and_ip,
)
from exprsn_pds.ratelimit.status import RateLimitStatus

__all__ = [
    "BY_DID",
    "BY_IP",
    "CostFunction",
    "KeyFunction",
    "LimitUse",
    "RateLimit",
    "RateLimitKey",
    "RateLimitStatus",
    "RateLimiter",
    "by_input_field_and_ip",
]
