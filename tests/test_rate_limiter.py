"""The rate limiter: counting, costs, keys, windows, 429s; in process and on Redis."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest

from exprsn_pds import RateLimitExceeded
from exprsn_pds.auth import Credentials
from exprsn_pds.ratelimit import (
    BY_DID,
    RateLimit,
    RateLimiter,
    RateLimitStatus,
    by_input_field_and_ip,
)
from exprsn_pds.ratelimit.limiter import limits_redis_uri

THREE_PER_MINUTE = RateLimit("test-three", "3/minute")
TWO_PER_SECOND = RateLimit("test-brief", "2/second")
WINDOW_RESET_DEADLINE_S = 10.0
POLL_INTERVAL_S = 0.1
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"


async def test_each_hit_takes_a_point_until_none_is_left(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    remaining = [(await limiter.hit(THREE_PER_MINUTE, "k")).remaining for _ in range(3)]
    assert remaining == [2, 1, 0]


async def test_the_hit_past_the_limit_is_exceeded(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    for _ in range(3):
        assert not (await limiter.hit(THREE_PER_MINUTE, "k")).exceeded
    status = await limiter.hit(THREE_PER_MINUTE, "k")
    assert status.exceeded
    assert status.remaining == 0


async def test_a_hit_costs_its_points(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    assert (await limiter.hit(THREE_PER_MINUTE, "k", cost=2)).remaining == 1
    assert (await limiter.hit(THREE_PER_MINUTE, "k", cost=2)).exceeded


async def test_a_cost_under_one_point_is_not_counted(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    assert await limiter.hit(THREE_PER_MINUTE, "k", cost=0) is None
    assert (await limiter.hit(THREE_PER_MINUTE, "k")).remaining == 2


async def test_keys_are_counted_apart(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    await limiter.hit(THREE_PER_MINUTE, "greedy", cost=3)
    assert (await limiter.hit(THREE_PER_MINUTE, "greedy")).exceeded
    assert (await limiter.hit(THREE_PER_MINUTE, "modest")).remaining == 2


async def test_limits_are_counted_apart(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    other = RateLimit("test-other", "3/minute")
    await limiter.hit(THREE_PER_MINUTE, "k", cost=3)
    assert (await limiter.hit(other, "k")).remaining == 2


async def test_consume_past_the_limit_raises_429_with_headers(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    limit = RateLimit("test-policy", "30/5minute")
    await limiter.consume(limit, "k", cost=30)
    with pytest.raises(RateLimitExceeded) as raised:
        await limiter.consume(limit, "k")
    error = raised.value
    assert (error.status, error.error) == (429, "RateLimitExceeded")
    assert error.message == "Rate Limit Exceeded"
    assert error.headers["RateLimit-Limit"] == "30"
    assert error.headers["RateLimit-Remaining"] == "0"
    assert error.headers["RateLimit-Policy"] == "30;w=300"
    reset = int(error.headers["RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 300
    assert 0 <= int(error.headers["Retry-After"]) <= 300


async def test_two_limiters_on_one_redis_share_counters(rate_limiter_factory: Any) -> None:
    first, second = await rate_limiter_factory(), await rate_limiter_factory()
    if first.backend != "redis":
        pytest.skip("in-process counters belong to one process")
    await first.hit(THREE_PER_MINUTE, "k", cost=2)
    assert (await second.hit(THREE_PER_MINUTE, "k")).remaining == 0


async def test_in_process_limiters_count_apart(rate_limiter_factory: Any) -> None:
    first, second = await rate_limiter_factory(), await rate_limiter_factory()
    if first.backend != "memory":
        pytest.skip("Redis counters are shared")
    await first.hit(THREE_PER_MINUTE, "k", cost=2)
    assert (await second.hit(THREE_PER_MINUTE, "k")).remaining == 2


async def test_a_new_window_opens_after_the_reset_time(rate_limiter_factory: Any) -> None:
    limiter = await rate_limiter_factory()
    await limiter.hit(TWO_PER_SECOND, "k", cost=2)
    closed = await limiter.hit(TWO_PER_SECOND, "k")
    assert closed.exceeded
    await asyncio.sleep(max(0.0, closed.reset_at - time.time()))
    deadline = time.monotonic() + WINDOW_RESET_DEADLINE_S
    status = await limiter.hit(TWO_PER_SECOND, "k")
    while status.exceeded and time.monotonic() < deadline:
        await asyncio.sleep(POLL_INTERVAL_S)
        status = await limiter.hit(TWO_PER_SECOND, "k")
    assert (status.exceeded, status.remaining) == (False, 1)


async def test_a_disabled_limiter_counts_nothing() -> None:
    limiter = RateLimiter(enabled=False, redis_url=None, redis_key_prefix="")
    await limiter.open()
    for _ in range(5):
        assert await limiter.consume(THREE_PER_MINUTE, "k") is None
    await limiter.close()


async def test_a_failing_redis_lets_requests_through() -> None:
    limiter = RateLimiter(enabled=True, redis_url=UNREACHABLE_REDIS_URL, redis_key_prefix="x:")
    await limiter.open()
    try:
        assert await limiter.consume(THREE_PER_MINUTE, "k", cost=10) is None
    finally:
        await limiter.close()


def test_a_limit_with_a_bad_rate_fails_at_declaration() -> None:
    with pytest.raises(ValueError, match="rate limit string"):
        RateLimit("broken", "lots/often")


def test_a_limit_knows_its_amount_and_window() -> None:
    limit = RateLimit("global", "3000/5minute")
    assert (limit.amount, limit.window_s) == (3000, 300)


def test_redis_urls_get_the_schemes_limits_expects() -> None:
    assert limits_redis_uri("redis://h:6379/0") == "async+redis://h:6379/0"
    assert limits_redis_uri("rediss://h/1") == "async+rediss://h/1"
    assert limits_redis_uri("unix:///tmp/r.sock") == "async+redis+unix:///tmp/r.sock"
    with pytest.raises(ValueError, match="scheme"):
        limits_redis_uri("http://h")


def test_status_headers_follow_the_official_pds() -> None:
    status = RateLimitStatus("x", 30, 300, 7, 1_700_000_000.9, exceeded=False)
    assert status.headers() == {
        "RateLimit-Limit": "30",
        "RateLimit-Remaining": "7",
        "RateLimit-Reset": "1700000000",
        "RateLimit-Policy": "30;w=300",
    }


def test_retry_after_is_the_seconds_until_the_reset() -> None:
    reset_at = time.time() + 42.5
    status = RateLimitStatus("x", 30, 300, 0, reset_at, exceeded=True)
    assert math.floor(42.5) <= int(status.rejection_headers()["Retry-After"]) <= math.ceil(42.5)


class _Call:
    """The parts of an XrpcContext that keys read."""

    def __init__(self, auth: Credentials | None = None, input: Any = None) -> None:
        self.auth = auth
        self.input = input
        self.client_ip = "198.51.100.1"


def test_did_keys_need_an_authenticated_call() -> None:
    assert BY_DID.compute(_Call()) is None
    call = _Call(Credentials(kind="access", did="did:plc:abc"))
    assert BY_DID.compute(call) == "did:plc:abc"


def test_input_keys_fold_case_and_add_the_ip() -> None:
    key = by_input_field_and_ip("identifier")
    folded = key.compute(_Call(input={"identifier": "Alice.Test"}))
    assert folded == "alice.test-198.51.100.1"
    assert key.compute(_Call(input={"password": "x"})) is None
    assert key.after_auth
