"""XRPC errors: a handler raises one, the core renders ``{"error", "message"}``.

The generic errors (``InvalidRequest``, ``AuthRequired`` ...) are classes by HTTP status.
A named error that several places raise (``RepoNotFound``, ``AccountNotFound`` ...) is
one subclass below, so it has one status and one wording wherever it comes from. A
lexicon-declared name raised in one place only may still be passed as ``error=`` to the
class whose status fits, e.g. ``InvalidRequest("...", error="BadExpiration")``.
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


# --- Named errors: one status and one wording each (statuses as the official PDS's) ---------


class AccountNotFound(InvalidRequest):
    """400 AccountNotFound: no account here has the DID."""

    default_error = "AccountNotFound"

    def __init__(self) -> None:
        super().__init__("Account not found")


class RepoNotFound(InvalidRequest):
    """400 RepoNotFound: no repo here for the DID or handle ``identifier``."""

    default_error = "RepoNotFound"

    def __init__(self, identifier: str) -> None:
        super().__init__(f"Could not find repo for DID: {identifier}")


class RecordNotFound(InvalidRequest):
    """400 RecordNotFound: the repo has no record at ``uri``."""

    default_error = "RecordNotFound"

    def __init__(self, uri: str) -> None:
        super().__init__(f"Could not locate record: {uri}")


class SubjectNotFound(InvalidRequest):
    """400 NotFound: an admin method's subject (account, record, blob) is not here.

    The name is the lexicon's generic ``NotFound``, answered with 400 as the official
    PDS's admin methods do (:class:`NotFound` is the 404 of plain routes).
    """

    default_error = "NotFound"

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject not found: {subject}")


class InvalidSwap(InvalidRequest):
    """400 InvalidSwap: a ``swapCommit``/``swapRecord`` is not the current value."""

    default_error = "InvalidSwap"

    def __init__(self, what: str, current: object) -> None:
        super().__init__(f"{what} was at {current}")


class AccountTakedown(AuthRequired):
    """401 AccountTakedown: the account is taken down."""

    default_error = "AccountTakedown"

    def __init__(self) -> None:
        super().__init__("Account has been taken down")


class InvalidToken(AuthRequired):
    """401 InvalidToken: a bearer token that is not valid here (``reason`` says why).

    An e-mail confirmation code that does not match is the 400 form of the name, as the
    official PDS answers it (:mod:`exprsn_pds.accounts.email_tokens`).
    """

    default_error = "InvalidToken"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class AccountDeactivated(AuthRequired):
    """401 AccountDeactivated: the account is deactivated."""

    default_error = "AccountDeactivated"

    def __init__(self) -> None:
        super().__init__("Account is deactivated")


class AccountAlreadyExists(InvalidRequest):
    """400 AccountAlreadyExists: the DID has an account here, or had one that was deleted."""

    default_error = "AccountAlreadyExists"

    def __init__(self, *, deleted: bool = False) -> None:
        super().__init__(
            "This DID belonged to an account deleted here and is never used again"
            if deleted
            else "Account already exists"
        )


class InvalidInviteCode(InvalidRequest):
    """400 InvalidInviteCode: no code was given, or it cannot be spent."""

    default_error = "InvalidInviteCode"

    def __init__(self, *, missing: bool = False) -> None:
        super().__init__(
            "No invite code provided" if missing else "Provided invite code not available"
        )


class HandleNotAvailable(InvalidRequest):
    """400 HandleNotAvailable: another account has ``handle``, or it is a reserved name."""

    default_error = "HandleNotAvailable"

    def __init__(self, handle: str, *, reserved: bool = False) -> None:
        super().__init__("Reserved handle" if reserved else f"Handle already taken: {handle}")


class InvalidHandle(InvalidRequest):
    """400 InvalidHandle: not a handle this server accepts (``reason`` says why)."""

    default_error = "InvalidHandle"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class UnsupportedDomain(InvalidRequest):
    """400 UnsupportedDomain: the handle is under none of this server's domains."""

    default_error = "UnsupportedDomain"

    def __init__(self, reason: str = "Not a supported handle domain") -> None:
        super().__init__(reason)


class HandleNotFound(InvalidRequest):
    """400 HandleNotFound: the handle resolves to no DID."""

    default_error = "HandleNotFound"

    def __init__(self) -> None:
        super().__init__("Unable to resolve handle")


class DidNotFound(InvalidRequest):
    """400 DidNotFound: the DID resolves to no document."""

    default_error = "DidNotFound"

    def __init__(self) -> None:
        super().__init__("DID not found")


class BadExpiration(InvalidRequest):
    """400 BadExpiration: a requested service-token expiry is out of bounds (``reason``)."""

    default_error = "BadExpiration"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
