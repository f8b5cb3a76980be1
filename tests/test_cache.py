"""The cache: values with expiry, counters and pub/sub, in memory and on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from exprsn_pds.cache import (
    Cache,
    CacheStats,
    MemoryCache,
    RedisCache,
    Subscription,
    SubscriptionLost,
    create_cache,
)

SHORT_TTL_S = 0.2
PAST_SHORT_TTL_S = 0.4
COUNTER_TTL_S = 0.6
BEFORE_COUNTER_EXPIRY_S = 0.4
DELIVERY_TIMEOUT_S = 5.0
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"


async def next_message(subscription: Subscription) -> bytes:
    """The next message, failing the test instead of hanging when none comes."""
    async with asyncio.timeout(DELIVERY_TIMEOUT_S):
        return await anext(subscription)


def test_the_factory_picks_the_backend_from_the_redis_url() -> None:
    assert isinstance(create_cache(None), MemoryCache)
    assert isinstance(create_cache(UNREACHABLE_REDIS_URL), RedisCache)


def test_both_backends_implement_the_cache_protocol() -> None:
    assert isinstance(MemoryCache(), Cache)
    assert isinstance(RedisCache(UNREACHABLE_REDIS_URL), Cache)


async def test_get_returns_what_set_stored(cache: Cache) -> None:
    await cache.set("greeting", b"hello")
    assert await cache.get("greeting") == b"hello"


async def test_get_many_answers_in_order_with_none_for_the_missing(cache: Cache) -> None:
    await cache.set("a", b"1")
    await cache.set("c", b"3")
    assert await cache.get_many(["c", "b", "a"]) == [b"3", None, b"1"]
    assert await cache.get_many([]) == []


def test_cache_stats_count_hits_and_misses_per_cache_name() -> None:
    stats = CacheStats()
    assert stats.hit_rate("profiles") is None
    stats.record("profiles", hits=3, misses=1)
    stats.record("profiles", hits=0, misses=0)
    stats.record("other", hits=0, misses=2)
    assert stats.requests() == {
        ("profiles", "hit"): 3,
        ("profiles", "miss"): 1,
        ("other", "miss"): 2,
    }
    assert stats.hit_rate("profiles") == 0.75
    assert stats.hit_rate("other") == 0.0


async def test_get_of_a_missing_key_is_none(cache: Cache) -> None:
    assert await cache.get("missing") is None


async def test_a_value_expires_after_its_ttl(cache: Cache) -> None:
    await cache.set("fleeting", b"soon gone", ttl_s=SHORT_TTL_S)
    assert await cache.get("fleeting") == b"soon gone"
    await asyncio.sleep(PAST_SHORT_TTL_S)
    assert await cache.get("fleeting") is None


async def test_a_ttl_must_be_positive(cache: Cache) -> None:
    with pytest.raises(ValueError, match="ttl_s must be positive"):
        await cache.set("key", b"value", ttl_s=0)


async def test_delete_removes_a_value(cache: Cache) -> None:
    await cache.set("doomed", b"value")
    await cache.delete("doomed")
    await cache.delete("never-set")
    assert await cache.get("doomed") is None


async def test_incr_counts_up_from_zero(cache: Cache) -> None:
    assert await cache.incr("hits") == 1
    assert await cache.incr("hits", amount=4) == 5
    assert await cache.get("hits") == b"5"


async def test_incr_expiry_is_not_extended_by_later_increments(cache: Cache) -> None:
    await cache.incr("window", ttl_s=COUNTER_TTL_S)
    await asyncio.sleep(BEFORE_COUNTER_EXPIRY_S)
    assert await cache.incr("window", ttl_s=COUNTER_TTL_S) == 2
    await asyncio.sleep(BEFORE_COUNTER_EXPIRY_S)
    assert await cache.get("window") is None
    assert await cache.incr("window", ttl_s=COUNTER_TTL_S) == 1


async def test_incr_of_a_non_integer_value_is_refused(cache: Cache) -> None:
    await cache.set("name", b"alice")
    with pytest.raises(ValueError, match="does not hold an integer"):
        await cache.incr("name")


async def test_a_published_message_reaches_every_subscriber(cache: Cache) -> None:
    async with cache.subscribe("events") as first, cache.subscribe("events") as second:
        await cache.publish("events", b"hello")
        assert await next_message(first) == b"hello"
        assert await next_message(second) == b"hello"


async def test_a_subscriber_gets_what_is_published_once_it_has_entered(cache: Cache) -> None:
    await cache.publish("events", b"too early")
    async with cache.subscribe("events") as subscription:
        await cache.publish("events", b"first")
        await cache.publish("events", b"second")
        assert await next_message(subscription) == b"first"
        assert await next_message(subscription) == b"second"


async def test_a_subscriber_hears_only_its_channel(cache: Cache) -> None:
    async with cache.subscribe("mine") as subscription:
        await cache.publish("other", b"not for me")
        await cache.publish("mine", b"for me")
        assert await next_message(subscription) == b"for me"


async def test_caches_with_different_prefixes_do_not_see_each_other(
    cache_factory: Callable[[str], Cache],
) -> None:
    first, second = cache_factory("first:"), cache_factory("second:")
    await first.set("key", b"first's")
    assert await second.get("key") is None
    async with second.subscribe("events") as subscription:
        await first.publish("events", b"first's")
        await second.publish("events", b"second's")
        assert await next_message(subscription) == b"second's"


async def test_ping_answers_true_for_a_reachable_cache(cache: Cache) -> None:
    assert await cache.ping() is True


async def test_ping_answers_false_for_an_unreachable_redis() -> None:
    cache = RedisCache(UNREACHABLE_REDIS_URL)
    try:
        assert await cache.ping() is False
    finally:
        await cache.close()


async def test_a_memory_subscriber_that_falls_behind_loses_its_subscription() -> None:
    cache = MemoryCache(max_queued_messages=2)
    async with cache.subscribe("events") as subscription:
        for message in (b"1", b"2", b"3"):
            await cache.publish("events", message)
        with pytest.raises(SubscriptionLost, match="fell 2 messages behind"):
            await next_message(subscription)


async def test_closing_the_cache_ends_open_subscriptions(cache: Cache) -> None:
    async with cache.subscribe("events") as subscription:

        async def read_all() -> list[bytes]:
            return [message async for message in subscription]

        reader = asyncio.create_task(read_all())
        await asyncio.sleep(0)
        await cache.close()
        async with asyncio.timeout(DELIVERY_TIMEOUT_S):
            assert await reader == []


async def test_subscribing_to_an_unreachable_redis_fails_cleanly() -> None:
    cache = RedisCache(UNREACHABLE_REDIS_URL)
    try:
        with pytest.raises(SubscriptionLost, match="cannot subscribe"):
            async with cache.subscribe("events"):
                pass
    finally:
        await cache.close()
