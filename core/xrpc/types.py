"""What XRPC handlers receive and may return."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from exprsn_pds.http_guard import BodyDeadline
from exprsn_pds.net import UNKNOWN_CLIENT, client_ip
from exprsn_pds.ratelimit.status import tightest

if TYPE_CHECKING:
    from quart import Request, Websocket

    from exprsn_pds.auth import AuthVerifier, Credentials
    from exprsn_pds.pds import Pds
    from exprsn_pds.ratelimit.rules import LimitUse, RateLimit
    from exprsn_pds.ratelimit.status import RateLimitStatus

JSON_ENCODING = "application/json"


@dataclass
class XrpcContext:
    """One XRPC call: validated params and input, the caller, the server."""

    pds: Pds
    nsid: str
    params: dict[str, Any]
    input: Any = None
    auth: Credentials | None = None
    request: Request | None = None
    websocket: Websocket | None = None
    max_body_bytes: int | None = None
    rate_limit_status: RateLimitStatus | None = None

    @cached_property
    def client_ip(self) -> str:
        """The caller's IP address, ``X-Forwarded-For`` honoured from trusted proxies."""
        connection = self.request if self.request is not None else self.websocket
        if connection is None:
            return UNKNOWN_CLIENT
        return client_ip(connection, self.pds.settings.trusted_proxies)

    async def consume_rate_limit(
        self, limit: RateLimit, *, cost: int = 1, key: str | None = None
    ) -> RateLimitStatus | None:
        """Charge ``cost`` points of ``limit`` to this call (429 when over).

        The key is ``limit``'s own for this call unless ``key`` is given; the standing
        joins the ``RateLimit-*`` headers of the response. Does nothing when rate limits
        are disabled.
        """
        limiter = self.pds.rate_limiter
        if not limiter.enabled:
            return None
        key = key if key is not None else limit.key.compute(self)
        if key is None:
            return None
        status = await limiter.consume(limit, key, cost=cost)
        self.rate_limit_status = tightest(self.rate_limit_status, status)
        return status

    async def body_chunks(self) -> AsyncIterator[bytes]:
        """Stream the request body, raising 413 PayloadTooLarge past ``max_body_bytes``
        and 408 RequestTimeout when it arrives slower than ``server.body_*`` allow.
        """
        from exprsn_pds.errors import PayloadTooLarge, RequestTimeout

        if self.request is None:
            return
        settings = self.pds.settings
        deadline = BodyDeadline(settings.body_timeout_s, settings.body_min_rate_bytes_per_s)
        chunks = aiter(self.request.body)
        while True:
            try:
                async with asyncio.timeout(deadline.remaining_s()):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise RequestTimeout(
                    f"Request body too slow: {deadline.received} bytes received in time"
                ) from None
            deadline.add(len(chunk))
            if self.max_body_bytes is not None and deadline.received > self.max_body_bytes:
                raise PayloadTooLarge(f"Request body is over the {self.max_body_bytes} byte limit")
            yield chunk

    async def body_bytes(self) -> bytes:
        """The whole request body (within ``max_body_bytes``)."""
        return b"".join([chunk async for chunk in self.body_chunks()])


@dataclass
class XrpcResponse:
    """A non-JSON (or custom-header) answer: bytes or a stream of byte chunks."""

    body: bytes | AsyncIterator[bytes]
    content_type: str = JSON_ENCODING
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass(frozen=True)
class SubscriptionMessage:
    """One message of a subscription stream: ``type`` is the short ``#name`` of the def."""

    type: str
    body: dict[str, Any]


Handler = Callable[[XrpcContext], Awaitable[Any]]
# An async generator function; it may yield pre-encoded frames (``bytes``) as well.
SubscriptionHandler = Callable[[XrpcContext], AsyncGenerator[SubscriptionMessage | bytes, None]]


@dataclass(frozen=True)
class XrpcMethod:
    """A dispatch-table entry: one NSID served by one plugin's handler."""

    nsid: str
    kind: str  # "query", "procedure" or "subscription"
    handler: Callable[[XrpcContext], Any]
    plugin: str
    auth: AuthVerifier | None = None
    max_body_bytes: int | None = None
    rate_limits: tuple[LimitUse, ...] = ()

    @cached_property
    def limits_before_auth(self) -> tuple[LimitUse, ...]:
        """The uses checked before auth (keyed and costed from the request alone)."""
        return tuple(use for use in self.rate_limits if not use.after_auth)

    @cached_property
    def limits_after_auth(self) -> tuple[LimitUse, ...]:
        """The uses checked after auth and input, just before the handler."""
        return tuple(use for use in self.rate_limits if use.after_auth)
