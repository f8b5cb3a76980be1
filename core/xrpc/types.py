"""What XRPC handlers receive and may return."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quart import Request, Websocket

    from exprsn_pds.auth import AuthVerifier, Credentials
    from exprsn_pds.pds import Pds

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

    async def body_chunks(self) -> AsyncIterator[bytes]:
        """Stream the request body, raising 413 PayloadTooLarge past ``max_body_bytes``."""
        from exprsn_pds.errors import PayloadTooLarge

        if self.request is None:
            return
        received = 0
        async for chunk in self.request.body:
            received += len(chunk)
            if self.max_body_bytes is not None and received > self.max_body_bytes:
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
