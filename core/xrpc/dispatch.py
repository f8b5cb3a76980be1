"""The XRPC pipeline: method check → rate limits → auth → params → input → rate limits
keyed by account or input → handler → output.

The dispatch table (``pds.methods``) is built once at start-up; nothing here asks
pluggy for a handler per request. Handlers raise :class:`~exprsn_pds.errors.XrpcError`;
:mod:`exprsn_pds.app` renders every error as ``{"error", "message"}``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any

from quart import Quart, Response, request, websocket

from exprsn_pds.datamodel import DataModelError, parse_json
from exprsn_pds.errors import (
    InvalidRequest,
    MethodNotImplemented,
    PayloadTooLarge,
    XrpcError,
)
from exprsn_pds.lexicon import LexiconValidationError
from exprsn_pds.logs import get_logger
from exprsn_pds.pds import Pds
from exprsn_pds.ratelimit.enforce import enforce
from exprsn_pds.xrpc.frames import encode_error, encode_message
from exprsn_pds.xrpc.params import query_params
from exprsn_pds.xrpc.types import JSON_ENCODING, XrpcContext, XrpcMethod, XrpcResponse

HTTP_METHOD_FOR_KIND = {"query": "GET", "procedure": "POST"}
# Every method but OPTIONS (CORS preflight, answered by Quart): a wrong one is a 400
# naming the right one, as the official PDS answers it.
ROUTE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
WEBSOCKET_POLICY_VIOLATION = 1008

log = get_logger(__name__)


def install_xrpc(app: Quart, pds: Pds) -> None:
    """Serve ``/xrpc/<nsid>`` over HTTP (queries, procedures) and WebSocket (subscriptions)."""

    @app.route("/xrpc/<nsid>", methods=ROUTE_METHODS)
    async def xrpc_http(nsid: str) -> Any:
        method = pds.methods.get(nsid)
        if method is None or method.kind == "subscription":
            return await _fallback(pds, nsid, method)
        return await _call(pds, method)

    @app.websocket("/xrpc/<nsid>")
    async def xrpc_websocket(nsid: str) -> None:
        method = pds.methods.get(nsid)
        try:
            if method is None or method.kind != "subscription":
                raise MethodNotImplemented(f"Subscription not implemented: {nsid}")
            context = await _subscription_context(pds, method)
        except XrpcError as error:
            await websocket.accept()
            await websocket.send(encode_error(error))
            await websocket.close(WEBSOCKET_POLICY_VIOLATION, error.error)
            return
        await _stream(method, context)


async def _fallback(pds: Pds, nsid: str, method: XrpcMethod | None) -> Any:
    if pds.rate_limiter.enabled:
        call = XrpcContext(pds=pds, nsid=nsid, params={}, request=request)
        await enforce(pds.rate_limiter, pds.global_rate_limits, call)
    if method is not None:
        raise InvalidRequest(f"{nsid} is a subscription: connect with a WebSocket")
    answer = pds.plugins.manager.hook.pds_xrpc_fallback(pds=pds, nsid=nsid, request=request)
    if inspect.isawaitable(answer):
        answer = await answer
    if answer is None:
        raise MethodNotImplemented(f"Method not implemented: {nsid}")
    return answer


async def _call(pds: Pds, method: XrpcMethod) -> Response:
    expected = HTTP_METHOD_FOR_KIND[method.kind]
    actual = "GET" if request.method == "HEAD" else request.method
    if actual != expected:
        raise InvalidRequest(f"Incorrect HTTP method ({request.method}) expected {expected}")
    context = XrpcContext(
        pds=pds,
        nsid=method.nsid,
        params={},
        request=request,
        max_body_bytes=method.max_body_bytes or pds.settings.xrpc_max_body_bytes,
    )
    limiter = pds.rate_limiter
    if limiter.enabled:
        await enforce(limiter, (*pds.global_rate_limits, *method.limits_before_auth), context)
    context.auth = await method.auth(request, pds) if method.auth else None
    context.params = _params(pds, method, query_params(request.args, request.query_string))
    if method.kind == "procedure":
        context.input = await _read_input(pds, method, context)
    if limiter.enabled and method.limits_after_auth:
        await enforce(limiter, method.limits_after_auth, context)
    response = _render_output(pds, method, await method.handler(context))
    if context.rate_limit_status is not None:
        response.headers.update(context.rate_limit_status.headers())
    return response


def _params(pds: Pds, method: XrpcMethod, raw: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """The call's parameters, typed and checked against the lexicon and the length bound."""
    try:
        return pds.lexicons.validate_params(
            method.nsid, raw, max_unbounded_bytes=pds.settings.xrpc_max_param_bytes
        )
    except LexiconValidationError as error:
        raise InvalidRequest(str(error)) from error


async def _read_input(pds: Pds, method: XrpcMethod, context: XrpcContext) -> Any:
    """Parse and validate a JSON body; other encodings are left for the handler to stream."""
    encoding = pds.lexicons.input_encoding(method.nsid)
    if encoding is None:
        return None
    declared = (request.mimetype or "").lower()
    if not declared:
        raise InvalidRequest("Request encoding (Content-Type) required but not provided")
    if not _encoding_matches(encoding, declared):
        raise InvalidRequest(f"Wrong request encoding (Content-Type): {declared}")
    _check_declared_length(request.content_length, context.max_body_bytes)
    if encoding != JSON_ENCODING:
        return None
    raw = await context.body_bytes()
    try:
        body = parse_json(raw, max_levels=pds.settings.xrpc_max_nesting_levels)
    except DataModelError as error:
        raise InvalidRequest(f"Request body is not valid JSON: {error}") from error
    try:
        pds.lexicons.validate_input(method.nsid, body)
    except LexiconValidationError as error:
        raise InvalidRequest(str(error)) from error
    return body


def _check_declared_length(length: int | None, limit: int | None) -> None:
    if length is not None and limit is not None and length > limit:
        raise PayloadTooLarge(f"Request body is over the {limit} byte limit")


def _encoding_matches(expected: str, actual: str) -> bool:
    if expected in ("*/*", actual):
        return True
    major, _, minor = expected.partition("/")
    return minor == "*" and actual.startswith(f"{major}/")


def _render_output(pds: Pds, method: XrpcMethod, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, XrpcResponse):
        return Response(
            result.body,
            status=result.status,
            content_type=result.content_type,
            headers=result.headers,
        )
    if result is None:
        return Response(b"", status=200)
    if pds.settings.xrpc_validate_output:
        try:
            pds.lexicons.validate_output(method.nsid, result)
        except LexiconValidationError as error:
            log.error("handler output failed validation", nsid=method.nsid, reason=str(error))
            raise
    return Response(json.dumps(result, separators=(",", ":")), content_type=JSON_ENCODING)


async def _subscription_context(pds: Pds, method: XrpcMethod) -> XrpcContext:
    credentials = await method.auth(websocket, pds) if method.auth else None  # type: ignore[arg-type]
    params = _params(pds, method, query_params(websocket.args, websocket.query_string))
    return XrpcContext(
        pds=pds, nsid=method.nsid, params=params, auth=credentials, websocket=websocket
    )


async def _stream(method: XrpcMethod, context: XrpcContext) -> None:
    """Send what the handler yields; close its generator however the stream ends.

    ``bytes`` are sent as they are (frames encoded in advance), a ``SubscriptionMessage``
    as header + body; an ``XrpcError`` becomes an error frame and closes the socket.
    Closing the generator runs its clean-up at once, even when the client went away
    while a message was being sent. A message not sent within ``server.send_timeout_s``
    (the client stopped reading) ends the stream: the client cannot be told any more.
    """
    await websocket.accept()
    messages: AsyncGenerator[Any, None] = method.handler(context)
    send_timeout_s = context.pds.settings.send_timeout_s
    async with aclosing(messages):
        try:
            await _send_all(messages, send_timeout_s)
        except (TimeoutError, OSError) as error:
            log.warning(
                "subscriber dropped: it stopped reading",
                nsid=method.nsid,
                client=context.client_ip,
                reason=type(error).__name__,
            )


async def _send_all(messages: AsyncGenerator[Any, None], timeout_s: float) -> None:
    """Send every message, each within ``timeout_s``; an ``XrpcError`` ends with its frame."""
    try:
        async for message in messages:
            frame = message if isinstance(message, bytes) else encode_message(message)
            async with asyncio.timeout(timeout_s):
                await websocket.send(frame)
    except XrpcError as error:
        async with asyncio.timeout(timeout_s):
            await websocket.send(encode_error(error))
        await websocket.close(WEBSOCKET_POLICY_VIOLATION, error.error)
