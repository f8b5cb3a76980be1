"""``create_cache``: pick the cache backend from configuration."""

from __future__ import annotations

from exprsn_pds.cache.base import Cache
from exprsn_pds.cache.memory import MemoryCache
from exprsn_pds.cache.redis import DEFAULT_KEY_PREFIX, RedisCache


def create_cache(redis_url: str | None, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> Cache:
    """A :class:`RedisCache` when ``redis_url`` is set, else a :class:`MemoryCache`.

    ``key_prefix`` namespaces Redis keys and channels; an in-process cache needs none.
    """
    if redis_url is None:
        return MemoryCache()
    return RedisCache(redis_url, key_prefix=key_prefix)
