"""``HttpGuard``: request bodies that cannot hold a connection, and a log line for every end.

ASGI middleware around the whole app, for plain HTTP requests:

- **Keep-alive after an early answer.** A handler may answer (401, 413 ...) before it
  read the request body. The unread rest is then drained (discarded as it arrives) when
  it is at most ``drain_max_bytes``, so the connection can carry the next request; a
  larger or chunked rest makes the response say ``Connection: close`` instead.
- **Slow bodies.** :class:`BodyDeadline` is the one rule for how long a body may take:
  ``body_timeout_s`` plus one second per ``min_rate_bytes_per_s`` received. The
  app's body reading (``XrpcContext.body_chunks``) answers 408 past it; a drain past it
  gives up and the connection closes.
- **Aborted requests are logged.** A client that goes away before its response is
  complete leaves an ``aborted`` line in the access log (the app's own line is never
  written for it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from exprsn_pds.logs import get_logger

# ASGI's shapes, loosely: scopes and messages are dicts of hypercorn's TypedDicts.
Scope = Mapping[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
AsgiApp = Callable[[Any, Any, Any], Awaitable[None]]

CONNECTION_CLOSE: Final = (b"connection", b"close")

access_log = get_logger("exprsn_pds.access")


class BodyDeadline:
    """When the next piece of a request body is due, given what has arrived so far.

    A body may take ``timeout_s`` plus ``1 / min_rate_bytes_per_s`` seconds per byte
    received: a client trickling slower than the rate runs out of time, however long
    it keeps trickling.
    """

    def __init__(self, timeout_s: float, min_rate_bytes_per_s: int) -> None:
        self._started = time.monotonic()
        self._timeout_s = timeout_s
        self._min_rate = min_rate_bytes_per_s
        self.received = 0

    def add(self, byte_count: int) -> None:
        """Count ``byte_count`` more bytes as received."""
        self.received += byte_count

    def remaining_s(self) -> float:
        """Seconds left before the body is overdue (never below zero)."""
        due = self._started + self._timeout_s + self.received / self._min_rate
        return max(0.0, due - time.monotonic())


class HttpGuard:
    """Wraps ``app``; see the module documentation."""

    def __init__(
        self,
        app: AsgiApp,
        *,
        drain_max_bytes: int,
        body_timeout_s: float,
        min_rate_bytes_per_s: int,
    ) -> None:
        self.app = app
        self._drain_max_bytes = drain_max_bytes
        self._body_timeout_s = body_timeout_s
        self._min_rate = min_rate_bytes_per_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(
            scope,
            receive,
            send,
            drain_max_bytes=self._drain_max_bytes,
            deadline=BodyDeadline(self._body_timeout_s, self._min_rate),
        )
        try:
            await self.app(scope, exchange.receive, exchange.send)
        finally:
            exchange.log_if_aborted()


class _Exchange:
    """One request/response through :class:`HttpGuard`."""

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        drain_max_bytes: int,
        deadline: BodyDeadline,
    ) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._drain_max_bytes = drain_max_bytes
        self._deadline = deadline
        self._declared = _declared_length(scope)
        self._body_done = asyncio.Event()
        if self._declared == 0:
            self._body_done.set()
        self._started = time.monotonic()
        self._status: int | None = None
        self._response_done = False
        self._disconnected = False

    async def receive(self) -> Message:
        message: Message = await self._receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            self._deadline.add(len(body))
            if not message.get("more_body", False):
                self._body_done.set()
            if self._status is not None and body:  # answered already: discard as it comes
                message = {**message, "body": b""}
        elif message["type"] == "http.disconnect":
            self._disconnected = True
            self._body_done.set()
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = int(message["status"])
            if not self._body_done.is_set() and not self._drainable():
                message = {**message, "headers": [*message.get("headers", []), CONNECTION_CLOSE]}
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            if not self._body_done.is_set() and self._drainable():
                await self._drain()
            self._response_done = True
        await self._send(message)

    def log_if_aborted(self) -> None:
        """Write the access-log line of a request whose client went away mid-way."""
        if self._response_done or not self._disconnected:
            return
        access_log.info(
            "request aborted",
            method=self._scope.get("method"),
            path=self._scope.get("path"),
            status=self._status,
            body_bytes_received=self._deadline.received,
            duration_ms=round((time.monotonic() - self._started) * 1000, 2),
        )

    def _drainable(self) -> bool:
        if self._declared is None:  # chunked: no telling how much is still coming
            return False
        rest = self._declared - self._deadline.received
        return rest <= self._drain_max_bytes and self._deadline.remaining_s() > 0

    async def _drain(self) -> None:
        """Wait for the rest of the body (the app's receiver reads it, we discard it)."""
        try:
            async with asyncio.timeout(self._deadline.remaining_s()):
                await self._body_done.wait()
        except TimeoutError:
            access_log.info(
                "request body overdue",
                method=self._scope.get("method"),
                path=self._scope.get("path"),
                body_bytes_received=self._deadline.received,
            )


def _declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``; 0 without a body; ``None`` when chunked."""
    length = 0
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
    return length
