"""The identity service's shared state: settings, the cache, the resolvers, the rotation key.

:class:`IdentityBase` is opened once the server starts (:meth:`IdentityBase.open`); the
parts of :class:`~exprsn_pds.identity.service.IdentityService` build on it.
"""

from __future__ import annotations

from typing import Final, TypeVar

import httpx

from exprsn_pds.cache import Cache
from exprsn_pds.config import Settings
from exprsn_pds.crypto import Curve, PrivateKey
from exprsn_pds.events import EventLog
from exprsn_pds.identity.did_resolver import DidResolver
from exprsn_pds.identity.handle_resolver import HandleResolver
from exprsn_pds.identity.plc_client import PlcClient
from exprsn_pds.storage import Database

DID_CACHE_PREFIX: Final = "identity:did:"
HANDLE_CACHE_PREFIX: Final = "identity:handle:"

_T = TypeVar("_T")


def _opened(value: _T | None) -> _T:
    """``value``, set when the service opened; ``RuntimeError`` before that."""
    if value is None:
        raise RuntimeError("the identity service is opened when the server starts")
    return value


class IdentityBase:
    """What every part of the identity service shares: settings, cache, resolvers, keys."""

    def __init__(self, settings: Settings, *, database: Database, events: EventLog) -> None:
        self.settings = settings
        self.database = database
        self.pds_endpoint = settings.public_url
        self.events = events
        self.rotation_key = PrivateKey.from_bytes(
            bytes.fromhex(settings.plc_rotation_key), Curve.K256
        )
        self._cache: Cache | None = None
        self._plc: PlcClient | None = None
        self._dids: DidResolver | None = None
        self._handles: HandleResolver | None = None

    def open(self, *, cache: Cache, http: httpx.AsyncClient) -> None:
        """Start using the shared cache and HTTP client (when the server starts)."""
        settings = self.settings
        timeout_s = settings.identity_resolve_timeout_s
        self._cache = cache
        self._plc = (
            PlcClient(http, settings.did_plc_url, timeout_s=timeout_s)
            if settings.did_plc_url
            else None
        )
        self._dids = DidResolver(
            http,
            plc=self._plc,
            timeout_s=timeout_s,
            max_response_bytes=settings.identity_max_response_bytes,
            max_nesting_levels=settings.xrpc_max_nesting_levels,
        )
        self._handles = HandleResolver(
            http, timeout_s=timeout_s, max_response_bytes=settings.identity_max_response_bytes
        )

    @property
    def cache(self) -> Cache:
        """The shared cache (opened at start)."""
        return _opened(self._cache)

    @property
    def plc(self) -> PlcClient | None:
        """The PLC directory client, or ``None`` when no directory is configured."""
        _opened(self._cache)
        return self._plc

    @property
    def dids(self) -> DidResolver:
        """The network DID resolver (replaceable, e.g. in tests)."""
        return _opened(self._dids)

    @dids.setter
    def dids(self, resolver: DidResolver) -> None:
        self._dids = resolver

    @property
    def handles(self) -> HandleResolver:
        """The network handle resolver (replaceable, e.g. in tests)."""
        return _opened(self._handles)

    @handles.setter
    def handles(self, resolver: HandleResolver) -> None:
        self._handles = resolver

    @property
    def rotation_did_key(self) -> str:
        """The did:key of this server's PLC rotation key."""
        return self.rotation_key.public_key().did_key()
