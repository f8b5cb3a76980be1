"""The Quart application: XRPC, plugin routes, errors, CORS, request ids, lifecycle."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from quart import Quart, Response, g, request
from tortoise.exceptions import ValidationError
from werkzeug.exceptions import HTTPException

from exprsn_pds import protocol_errors
from exprsn_pds.config import Settings, load_settings
from exprsn_pds.errors import InternalServerError, InvalidRequest, XrpcError
from exprsn_pds.http_guard import HttpGuard
from exprsn_pds.logs import bind_request_id, configure_logging, get_logger
from exprsn_pds.pds import Pds
from exprsn_pds.xrpc.dispatch import install_xrpc

PDS_EXTENSION = "exprsn_pds"
CORS_MAX_AGE_S = 86400
CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, DPoP, atproto-accept-labelers, atproto-proxy, X-Request-Id"
)
CORS_EXPOSE_HEADERS = (
    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, Retry-After, "
    "atproto-repo-rev, atproto-content-labelers, DPoP-Nonce, WWW-Authenticate, X-Request-Id"
)
#: Error names of HTTP errors raised by Quart/werkzeug itself (no route, wrong method ...).
HTTP_ERROR_NAMES = {404: "NotFound", 413: "PayloadTooLarge"}

log = get_logger(__name__)
access_log = get_logger("exprsn_pds.access")


def create_app(
    settings: Settings | None = None,
    *,
    extra_plugins: Iterable[tuple[str, object]] = (),
    freeze_heap: bool = False,
) -> Quart:
    """Build the server: load plugins and lexicons, build the dispatch table, wire routes.

    Fails here (at start-up) on bad config, plugins or lexicons. Database, cache and
    HTTP client open when the app starts serving. With ``freeze_heap`` (a serving
    process, :func:`asgi_app`), what start-up made is moved out of the garbage collector's
    reach once it has started (:func:`gc.freeze`): the long-lived objects (lexicons,
    plugins, caches) are then not walked again by every full collection, whose pauses
    otherwise reach a request's p99 (measured: ``getPostThread`` of a 200-reply thread,
    p99 87 ms without, 24 ms with; ``bench/README.md``).
    """
    settings = settings or load_settings()
    pds = Pds(settings, extra_plugins)
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max(
        [settings.xrpc_max_body_bytes, *(m.max_body_bytes or 0 for m in pds.methods.values())]
    )
    app.extensions[PDS_EXTENSION] = pds
    app.asgi_app = HttpGuard(  # type: ignore[method-assign]  # ASGI middleware
        app.asgi_app,
        drain_max_bytes=settings.drain_max_bytes,
        body_timeout_s=settings.body_timeout_s,
        min_rate_bytes_per_s=settings.body_min_rate_bytes_per_s,
    )
    install_xrpc(app, pds)
    for route in pds.routes:
        endpoint = f"{route.plugin}:{route.path}"
        app.add_url_rule(
            route.path, endpoint, partial(route.handler, pds), methods=list(route.methods)
        )
    _install_request_hooks(app, settings)
    _install_error_handlers(app)

    @app.before_serving
    async def start() -> None:
        await pds.start()
        if freeze_heap:
            gc.collect()
            gc.freeze()
        log.info("pds started", **pds.describe())

    @app.after_serving
    async def stop() -> None:
        await pds.stop()

    return app


def get_pds(app: Quart) -> Pds:
    """The :class:`Pds` behind an app made by :func:`create_app`."""
    pds: Pds = app.extensions[PDS_EXTENSION]
    return pds


def asgi_app() -> Quart:
    """Factory for ``hypercorn 'exprsn_pds.app:asgi_app()'`` (config from ``PDS_*``).

    It runs in each serving process, so it also gives hypercorn's own error answers
    (oversized or malformed requests) an XRPC error body.
    """
    settings = load_settings()
    configure_logging(settings.log_level)
    protocol_errors.install()
    return create_app(settings, freeze_heap=True)


def _install_request_hooks(app: Quart, settings: Settings) -> None:
    origins = set(settings.cors_origins)

    @app.before_request
    async def begin() -> None:
        g.request_id = bind_request_id()
        g.started = time.perf_counter()

    @app.after_request
    async def finish(response: Response) -> Response:
        _add_cors_headers(response, origins)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        access_log.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round(elapsed_ms, 2),
        )
        return response


def _add_cors_headers(response: Response, origins: set[str]) -> None:
    origin = request.headers.get("Origin")
    if "*" in origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", CORS_ALLOW_HEADERS
        )
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_S)


def _install_error_handlers(app: Quart) -> None:
    @app.errorhandler(XrpcError)
    async def xrpc_error(error: XrpcError) -> Any:
        return error.to_json(), error.status, error.headers

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        default = "InternalServerError" if status >= 500 else "InvalidRequest"
        name = HTTP_ERROR_NAMES.get(status, default)
        # werkzeug's headers minus its HTML Content-Type (405 keeps its Allow).
        headers = [(key, value) for key, value in error.get_headers() if key != "Content-Type"]
        return {"error": name, "message": error.description or name}, status, headers

    @app.errorhandler(ValidationError)
    async def unstorable_value(error: ValidationError) -> Any:
        # A column-aware check (exprsn_pds.storage.columns) refused a value before any SQL.
        log.info("value refused by a column check", path=request.path, reason=str(error))
        answer = InvalidRequest(f"A value does not fit the stored field {error}")
        return answer.to_json(), answer.status

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> Any:
        log.exception("unhandled error", path=request.path)
        answer = InternalServerError("Internal Server Error")
        return answer.to_json(), answer.status
