"""exprsn-pds: a plugin-based AT Protocol Personal Data Server.

Third-party plugins import the whole plugin API from here::

    from exprsn_pds import hookimpl, XrpcContext, InvalidRequest, write_auth

The services a plugin works through are on :class:`Pds`: ``pds.accounts``
(:class:`AccountService`), ``pds.repos`` (:class:`RepoService`) and ``pds.repo_writer``
(writes), ``pds.blobs`` (:class:`BlobService`), ``pds.identity``
(:class:`IdentityService`), ``pds.image_urls`` (:class:`ImageUrls`: image URLs for views),
``pds.sessions``, ``pds.email_tokens`` and ``pds.mailer``; :func:`follow_events` reads
``pds.firehose`` (stored events after a cursor, then live ones).
"""

if __name__ != "exprsn_pds":  # pragma: no cover - guard against a second import name
    raise ImportError("import this package as exprsn_pds, not by its folder name")

__version__ = "0.1.0"

from exprsn_pds.accounts.app_passwords import AppPasswordInfo, NewAppPassword
from exprsn_pds.accounts.creation import NewAccount
from exprsn_pds.accounts.email_tokens import EmailTokenPurpose, EmailTokens
from exprsn_pds.accounts.info import AccountInfo
from exprsn_pds.accounts.invites import InviteCodeView
from exprsn_pds.accounts.login import Login
from exprsn_pds.accounts.models import REF_MAX_LENGTH as TAKEDOWN_REF_MAX_LENGTH
from exprsn_pds.accounts.service import AccountService
from exprsn_pds.accounts.sessions import SessionManager, SessionTokens
from exprsn_pds.accounts.status import AccountStatus, status_fields
from exprsn_pds.auth import (
    ANONYMOUS,
    AuthVerifier,
    Credentials,
    access_auth,
    account_full_auth,
    account_standard_auth,
    admin_basic_auth,
    authenticated,
    caller_did,
    full_access_auth,
    optional_auth,
    refresh_auth,
    service_auth,
    write_auth,
)
from exprsn_pds.blobs import BlobService, BlobStore, ServableBlob
from exprsn_pds.errors import (
    AccountAlreadyExists,
    AccountDeactivated,
    AccountNotFound,
    AccountTakedown,
    AuthRequired,
    BadExpiration,
    DidNotFound,
    ExpiredToken,
    Forbidden,
    HandleNotAvailable,
    HandleNotFound,
    InternalServerError,
    InvalidHandle,
    InvalidInviteCode,
    InvalidRequest,
    InvalidSwap,
    InvalidToken,
    MethodNotImplemented,
    NotFound,
    PayloadTooLarge,
    RateLimitExceeded,
    RecordNotFound,
    RepoNotFound,
    ServiceUnavailable,
    SubjectNotFound,
    UnsupportedDomain,
    UpstreamFailure,
    XrpcError,
)
from exprsn_pds.events.errors import (
    ConsumerTooSlow,
    EventStreamError,
    FutureCursor,
    StreamInterrupted,
    TooManySubscribers,
)
from exprsn_pds.events.stream import follow_events
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
from exprsn_pds.feeds import FeedAlgorithm, FeedFetch, FeedSkeleton, SkeletonItem
from exprsn_pds.hookspecs import hookimpl, hookspec
from exprsn_pds.identity import INVALID_HANDLE, IdentityInfo, IdentityService
from exprsn_pds.images import (
    DEFAULT_IMAGE_FORMAT,
    IMAGE_FORMATS,
    IMAGE_PATH_PREFIX,
    IMAGE_PRESETS,
    ImageFormat,
    ImagePreset,
    ImageUrls,
)
from exprsn_pds.mail import Mailer, MailError
from exprsn_pds.mail.codes import CodeMails, send_code, send_code_quietly
from exprsn_pds.pds import Pds
from exprsn_pds.registrars import (
    CommandRegistrar,
    ConsumerRegistrar,
    LexiconRegistrar,
    ModelRegistrar,
    PluginStartupError,
    RouteRegistrar,
    XrpcRegistrar,
)
from exprsn_pds.repo.checks import RecordLabels, RecordOrigin, RecordRefusal
from exprsn_pds.repo.label_store import StoredLabel, labels_of_records, record_labels
from exprsn_pds.repo.reader import StoredRecord
from exprsn_pds.repo.service import RecordTakedown, RepoService, RepoStats
from exprsn_pds.repo.store import RepoRow
from exprsn_pds.repo.writes import Action, CommitResult, RecordWrite, WriteResult
from exprsn_pds.tokens import Scope
from exprsn_pds.xrpc.types import (
    SubscriptionMessage,
    XrpcContext,
    XrpcResponse,
)

__all__ = [
    "ANONYMOUS",
    "DEFAULT_IMAGE_FORMAT",
    "IMAGE_FORMATS",
    "IMAGE_PATH_PREFIX",
    "IMAGE_PRESETS",
    "INVALID_HANDLE",
    "TAKEDOWN_REF_MAX_LENGTH",
    "AccountAlreadyExists",
    "AccountDeactivated",
    "AccountEvent",
    "AccountInfo",
    "AccountNotFound",
    "AccountService",
    "AccountStatus",
    "AccountTakedown",
    "Action",
    "AnyEvent",
    "AppPasswordInfo",
    "AuthRequired",
    "AuthVerifier",
    "BadExpiration",
    "BlobService",
    "BlobStore",
    "CodeMails",
    "CommandRegistrar",
    "CommitEvent",
    "CommitResult",
    "ConsumerRegistrar",
    "ConsumerTooSlow",
    "Credentials",
    "DidNotFound",
    "EmailTokenPurpose",
    "EmailTokens",
    "Event",
    "EventStreamError",
    "ExpiredToken",
    "FeedAlgorithm",
    "FeedFetch",
    "FeedSkeleton",
    "Forbidden",
    "FutureCursor",
    "HandleNotAvailable",
    "HandleNotFound",
    "IdentityEvent",
    "IdentityInfo",
    "IdentityService",
    "ImageFormat",
    "ImagePreset",
    "ImageUrls",
    "InternalServerError",
    "InvalidHandle",
    "InvalidInviteCode",
    "InvalidRequest",
    "InvalidSwap",
    "InvalidToken",
    "InviteCodeView",
    "LexiconRegistrar",
    "Login",
    "MailError",
    "Mailer",
    "MethodNotImplemented",
    "ModelRegistrar",
    "NewAccount",
    "NewAppPassword",
    "NotFound",
    "PayloadTooLarge",
    "Pds",
    "PluginStartupError",
    "RateLimitExceeded",
    "RecordLabels",
    "RecordNotFound",
    "RecordOrigin",
    "RecordRefusal",
    "RecordTakedown",
    "RecordWrite",
    "RepoNotFound",
    "RepoOp",
    "RepoRow",
    "RepoService",
    "RepoStats",
    "RouteRegistrar",
    "Scope",
    "ServableBlob",
    "ServiceUnavailable",
    "SessionManager",
    "SessionTokens",
    "SkeletonItem",
    "StoredLabel",
    "StoredRecord",
    "StreamInterrupted",
    "SubjectNotFound",
    "SubscriptionMessage",
    "SyncEvent",
    "TooManySubscribers",
    "UnsupportedDomain",
    "UpstreamFailure",
    "WriteResult",
    "XrpcContext",
    "XrpcError",
    "XrpcRegistrar",
    "XrpcResponse",
    "__version__",
    "access_auth",
    "account_full_auth",
    "account_standard_auth",
    "admin_basic_auth",
    "authenticated",
    "caller_did",
    "decode_event",
    "follow_events",
    "full_access_auth",
    "hookimpl",
    "hookspec",
    "labels_of_records",
    "optional_auth",
    "record_labels",
    "refresh_auth",
    "send_code",
    "send_code_quietly",
    "service_auth",
    "status_fields",
    "write_auth",
]
