"""XRPC errors: a handler raises one, the core renders ``{"error", "message"}``.

Lexicon-declared error names (``InvalidSwap``, ``RecordNotFound`` ...) are passed as
``error=`` to the class whose HTTP status fits, e.g. ``InvalidRequest("...", error="InvalidSwap")``.
"""

from __future__ import annotations

from typing import ClassVar


class XrpcError(Exception):
    """An error answered to an XRPC caller as ``{"error": name, "message": message}``."""

    status: ClassVar[int] = 500
    default_error: ClassVar[str] = "InternalServerError"

    def __init__(
        self,
        message: str = "",
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or (error or self.default_error))
        self.error = error or self.default_error
        self.message = message or self.error
        self.headers = dict(headers or {})

    def to_json(self) -> dict[str, str]:
        """The response body the XRPC spec prescribes."""
        return {"error": self.error, "message": self.message}


class InvalidRequest(XrpcError):
    """400: bad parameters or input (also used for lexicon-declared errors)."""

    status = 400
    default_error = "InvalidRequest"


class ExpiredToken(XrpcError):
    """400: an expired token, as the official PDS answers it."""

    status = 400
    default_error = "ExpiredToken"


class AuthRequired(XrpcError):
    """401: missing or invalid credentials."""

    status = 401
    default_error = "AuthenticationRequired"


class Forbidden(XrpcError):
    """403: authenticated, but not allowed."""

    status = 403
    default_error = "Forbidden"


class NotFound(XrpcError):
    """404: no such resource (non-XRPC routes mostly)."""

    status = 404
    default_error = "NotFound"


class RequestTimeout(XrpcError):
    """408: the request body arrived too slowly (``server.body_timeout_s``)."""

    status = 408
    default_error = "RequestTimeout"


class PayloadTooLarge(XrpcError):
    """413: the request body is over the configured limit."""

    status = 413
    default_error = "PayloadTooLarge"


class RateLimitExceeded(XrpcError):
    """429: a rate limit was hit; ``headers`` carry the RateLimit-* values."""

    status = 429
    default_error = "RateLimitExceeded"


class InternalServerError(XrpcError):
    """500: something failed on our side; the message never carries internals."""

    status = 500
    default_error = "InternalServerError"


class MethodNotImplemented(XrpcError):
    """501: no handler serves this method."""

    status = 501
    default_error = "MethodNotImplemented"


class UpstreamFailure(XrpcError):
    """502: a service this server depends on (a PLC directory, an AppView) failed."""

    status = 502
    default_error = "UpstreamFailure"


class ServiceUnavailable(XrpcError):
    """503: a dependency (e.g. the database) is unreachable."""

    status = 503
    default_error = "ServiceUnavailable"
