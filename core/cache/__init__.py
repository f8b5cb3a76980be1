"""The one cache interface: values with expiry, counters and pub/sub.

:func:`create_cache` returns a :class:`MemoryCache` for a single process, or a
:class:`RedisCache` when Redis is configured so that several processes share state and
events.
:class:`CacheStats` counts each named cache's hits and misses.
"""

from exprsn_pds.cache.base import Cache, Subscription, SubscriptionLost
from exprsn_pds.cache.factory import create_cache
from exprsn_pds.cache.memory import MemoryCache
from exprsn_pds.cache.redis import RedisCache
from exprsn_pds.cache.stats import CacheStats

__all__ = [
    "Cache",
    "CacheStats",
    "MemoryCache",
    "RedisCache",
    "Subscription",
    "SubscriptionLost",
    "create_cache",
]
