"""exprsn-pds: a plugin-based AT Protocol Personal Data Server.

Third-party plugins import the whole plugin API from here::

    from exprsn_pds import hookimpl, XrpcContext, InvalidRequest
"""

if __name__ != "exprsn_pds":  # pragma: no cover - guard against a second import name
    raise ImportError("import this package as exprsn_pds, not by its folder name")

__version__ = "0.1.0"

from exprsn_pds.auth import AuthVerifier, Credentials, admin_basic_auth
from exprsn_pds.errors import (
    AuthRequired,
    ExpiredToken,
    Forbidden,
    InternalServerError,
    InvalidRequest,
    MethodNotImplemented,
    NotFound,
    PayloadTooLarge,
    RateLimitExceeded,
    ServiceUnavailable,
    UpstreamFailure,
    XrpcError,
)
from exprsn_pds.events.types import (
    AccountEvent,
    AnyEvent,
    CommitEvent,
    Event,
    IdentityEvent,
    RepoOp,
    SyncEvent,
    decode_event,
)
from exprsn_pds.hookspecs import hookimpl, hookspec
from exprsn_pds.pds import Pds
from exprsn_pds.registrars import (
    ConsumerRegistrar,
    LexiconRegistrar,
    ModelRegistrar,
    RouteRegistrar,
    XrpcRegistrar,
)
from exprsn_pds.repo.checks import RecordLabels, RecordOrigin, RecordRefusal
from exprsn_pds.repo.labels import record_labels
from exprsn_pds.xrpc.types import (
    SubscriptionMessage,
    XrpcContext,
    XrpcResponse,
)

__all__ = [
    "AccountEvent",
    "AnyEvent",
    "AuthRequired",
    "AuthVerifier",
    "CommitEvent",
    "ConsumerRegistrar",
    "Credentials",
    "Event",
    "ExpiredToken",
    "Forbidden",
    "IdentityEvent",
    "InternalServerError",
    "InvalidRequest",
    "LexiconRegistrar",
    "MethodNotImplemented",
    "ModelRegistrar",
    "NotFound",
    "PayloadTooLarge",
    "Pds",
    "RateLimitExceeded",
    "RecordLabels",
    "RecordOrigin",
    "RecordRefusal",
    "RepoOp",
    "RouteRegistrar",
    "ServiceUnavailable",
    "SubscriptionMessage",
    "SyncEvent",
    "UpstreamFailure",
    "XrpcContext",
    "XrpcError",
    "XrpcRegistrar",
    "XrpcResponse",
    "__version__",
    "admin_basic_auth",
    "decode_event",
    "hookimpl",
    "hookspec",
    "record_labels",
]
