"""``RedisCache``: the cache shared by every server process, through Redis.

Every key and channel is prefixed with ``key_prefix`` (pub/sub channels are global to a
Redis server, whatever its database number). Counters use ``INCRBY`` plus
``PEXPIRE ... NX`` in one ``MULTI``/``EXEC`` transaction (Redis 7 or later).

Subscriptions read through a client that never reconnects on its own: a reconnect would
silently skip the messages published meanwhile, so a lost connection, or Redis
disconnecting a subscriber that fell behind its ``client-output-buffer-limit pubsub``,
surfaces as :class:`~exprsn_pds.cache.base.SubscriptionLost`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Final, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from exprsn_pds.cache.base import SubscriptionLost, ttl_ms

DEFAULT_KEY_PREFIX: Final = "pds:"
DEFAULT_PING_TIMEOUT_S: Final = 2.0
NO_RETRIES: Final = 0
SUBSCRIBE_CONFIRMATION: Final = "subscribe"
PUBLISHED_MESSAGE: Final = "message"


class RedisCache:
    """A :class:`~exprsn_pds.cache.base.Cache` on the Redis server at ``url``."""

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ping_timeout_s: float = DEFAULT_PING_TIMEOUT_S,
    ) -> None:
        self._client: Redis = Redis.from_url(url)
        self._subscriber_client: Redis = Redis.from_url(url, retry=Retry(NoBackoff(), NO_RETRIES))
        self._prefix = key_prefix
        self._ping_timeout_s = ping_timeout_s
        self._subscriptions: set[RedisSubscription] = set()

    def __repr__(self) -> str:
        return f"<RedisCache prefix={self._prefix!r}>"

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None`` if absent or expired."""
        # Without decode_responses, redis-py returns values as bytes.
        return cast("bytes | None", await self._client.get(self._key(key)))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values stored under ``keys``, in order, in one ``MGET``."""
        if not keys:
            return []
        values = await self._client.mget([self._key(key) for key in keys])
        return cast("list[bytes | None]", values)

    async def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl_s`` seconds if given."""
        await self._client.set(self._key(key), value, px=ttl_ms(ttl_s))

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""
        await self._client.delete(self._key(key))

    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        """Add ``amount`` to the counter ``key``; ``ttl_s`` applies while it has no expiry."""
        name = self._key(key)
        milliseconds = ttl_ms(ttl_s)
        async with self._client.pipeline(transaction=True) as pipeline:
            pipeline.incrby(name, amount)
            if milliseconds is not None:
                pipeline.pexpire(name, milliseconds, nx=True)
            try:
                results: list[Any] = await pipeline.execute()
            except ResponseError:
                raise ValueError(f"cache key {key!r} does not hold an integer") from None
        return int(results[0])

    async def publish(self, channel: str, message: bytes) -> None:
        """Send ``message`` to every current subscriber of ``channel``, in any process."""
        await self._client.publish(self._key(channel), message)

    def subscribe(self, channel: str) -> RedisSubscription:
        """A subscription to ``channel``; it subscribes when entered."""
        return RedisSubscription(
            self._subscriber_client.pubsub(), self._key(channel), self._subscriptions
        )

    async def ping(self) -> bool:
        """Whether Redis answers ``PING`` within ``ping_timeout_s``."""
        try:
            async with asyncio.timeout(self._ping_timeout_s):
                await self._client.ping()
        except (RedisError, OSError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        """End the open subscriptions and close both connection pools."""
        for subscription in self._subscriptions:
            subscription.end()
        await self._client.aclose()
        await self._subscriber_client.aclose()

    def _key(self, key: str) -> str:
        return f"{self._prefix}{key}"


class RedisSubscription:
    """One Redis ``SUBSCRIBE`` on its own connection."""

    def __init__(
        self, pubsub: PubSub, channel: str, open_subscriptions: set[RedisSubscription]
    ) -> None:
        self._pubsub = pubsub
        self._channel = channel
        self._open_subscriptions = open_subscriptions
        self._ended = False

    async def __aenter__(self) -> RedisSubscription:
        try:
            await self._subscribe()
        except BaseException:
            await self._release()
            raise
        self._open_subscriptions.add(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._open_subscriptions.discard(self)
        await self._release()

    def __aiter__(self) -> RedisSubscription:
        return self

    async def __anext__(self) -> bytes:
        if self._ended:
            raise StopAsyncIteration
        while True:
            message = await self._next_message()
            if message["type"] == PUBLISHED_MESSAGE:
                return bytes(message["data"])

    def end(self) -> None:
        """Treat the coming disconnection as the end of the messages: the cache closes."""
        self._ended = True

    async def _subscribe(self) -> None:
        try:
            await self._pubsub.subscribe(self._channel)
        except RedisConnectionError as error:
            raise SubscriptionLost(f"cannot subscribe to {self._channel!r}") from error
        # Redis answers SUBSCRIBE in-band; once the answer is read, every later PUBLISH
        # reaches this connection.
        while (await self._next_message())["type"] != SUBSCRIBE_CONFIRMATION:
            pass

    async def _release(self) -> None:
        await self._pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed since redis 8

    async def _next_message(self) -> dict[str, Any]:
        try:
            while True:
                message: dict[str, Any] | None = await self._pubsub.get_message(timeout=None)
                if message is not None:
                    return message
        except RedisConnectionError as error:
            if self._ended:
                raise StopAsyncIteration from None
            raise SubscriptionLost(f"lost the Redis subscription to {self._channel!r}") from error
