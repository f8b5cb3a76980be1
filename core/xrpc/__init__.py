"""XRPC: the dispatch table, the HTTP and WebSocket pipeline, handler types."""

from exprsn_pds.xrpc.types import (
    SubscriptionMessage,
    XrpcContext,
    XrpcMethod,
    XrpcResponse,
)

__all__ = ["SubscriptionMessage", "XrpcContext", "XrpcMethod", "XrpcResponse"]
