"""Identity of the accounts hosted here, and resolution of everyone else's.

- :meth:`IdentityService.create_did`: a new account's DID: did:plc through the directory
  when ``identity.did_plc_url`` is set, otherwise a did:web of the handle never used
  before (:mod:`exprsn_pds.identity.did_web`).
- :meth:`IdentityService.resolve_did` / :meth:`IdentityService.resolve_handle`: hosted
  accounts from the database, others over the network, cached in ``pds.cache``.
- :meth:`IdentityService.update_handle`: the rules of ``updateHandle``, the PLC update,
  the new handle and its ``#identity`` event in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import httpx
from tortoise.exceptions import IntegrityError

from exprsn_pds.accounts.models import Account
from exprsn_pds.cache import Cache
from exprsn_pds.config import Settings
from exprsn_pds.crypto import (
    Curve,
    InvalidKey,
    PrivateKey,
    PublicKey,
    parse_did_key,
    parse_multikey,
)
from exprsn_pds.errors import InvalidRequest, UpstreamFailure
from exprsn_pds.events import EventLog, IdentityEvent
from exprsn_pds.identity.did_document import (
    build_did_document,
    handle_of,
    pds_endpoint_of,
    verification_key,
)
from exprsn_pds.identity.did_resolver import (
    DID_PLC_PREFIX,
    DidResolver,
    did_web_host,
)
from exprsn_pds.identity.did_web import new_did_web
from exprsn_pds.identity.handle_resolver import HandleResolver
from exprsn_pds.identity.handles import normalize_account_handle, service_domain_of
from exprsn_pds.identity.plc_client import PlcClient, PlcError
from exprsn_pds.identity.plc_ops import (
    InvalidOperation,
    atproto_operation,
    did_for_genesis,
    sign_operation,
    update_operation,
)
from exprsn_pds.repo.models import Repo
from exprsn_pds.syntax import Did, Handle

INVALID_HANDLE: Final = "handle.invalid"
DID_CACHE_PREFIX: Final = "identity:did:"
HANDLE_CACHE_PREFIX: Final = "identity:handle:"

_T = TypeVar("_T")


def _opened(value: _T | None) -> _T:
    """``value``, set when the service opened; ``RuntimeError`` before that."""
    if value is None:
        raise RuntimeError("the identity service is opened when the server starts")
    return value


@dataclass(frozen=True)
class IdentityInfo:
    """A hosted account's identity: handle (or ``handle.invalid``) and DID document."""

    did: str
    handle: str
    did_document: dict[str, Any] | None
    handle_is_correct: bool


class IdentityService:
    """DIDs and handles: creating, resolving and updating them."""

    def __init__(self, settings: Settings, *, events: EventLog) -> None:
        self.settings = settings
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

    # --- Creating DIDs ----------------------------------------------------------------------

    def rotation_keys(self, recovery_key: str | None = None) -> list[str]:
        """Rotation keys of a new did:plc: the account's recovery key, the configured one, ours."""
        keys = [self.rotation_did_key]
        for extra in (self.settings.recovery_did_key, recovery_key):
            if extra:
                keys.insert(0, extra)
        return keys

    async def create_did(
        self, handle: str, signing_key: PublicKey, recovery_key: str | None
    ) -> str:
        """The DID of a new account with ``handle`` (normalized) and repo key ``signing_key``.

        did:plc when a directory is configured (the genesis operation is submitted);
        otherwise a did:web under the service domains that no account here ever had
        (``did:web:<handle>`` when it is free, see :mod:`exprsn_pds.identity.did_web`).
        """
        if self.plc is not None:
            return await self._create_did_plc(handle, signing_key, recovery_key)
        if service_domain_of(handle.lower(), self.settings.service_handle_domains) is None:
            raise InvalidRequest(
                "This server creates did:web accounts only, for handles under its own domains",
                error="UnsupportedDomain",
            )
        return await new_did_web(handle.lower())

    async def _create_did_plc(
        self, handle: str, signing_key: PublicKey, recovery_key: str | None
    ) -> str:
        if recovery_key is not None:
            try:
                parse_did_key(recovery_key)
            except InvalidKey as error:
                raise InvalidRequest(f"Invalid recoveryKey: {error}") from None
        genesis = atproto_operation(
            signing_key=signing_key.did_key(),
            rotation_keys=self.rotation_keys(recovery_key),
            handle=handle,
            pds_endpoint=self.pds_endpoint,
            prev=None,
        )
        signed = sign_operation(genesis, self.rotation_key)
        did = did_for_genesis(signed)
        await self.submit_plc_operation(did, signed)
        return did

    async def submit_plc_operation(self, did: str, operation: dict[str, Any]) -> None:
        """Send a signed operation to the directory; its refusal is an XRPC error."""
        if self.plc is None:
            raise InvalidRequest("This server has no PLC directory configured")
        try:
            await self.plc.submit(did, operation)
        except PlcError as error:
            if error.refused:
                raise InvalidRequest(error.message) from error
            raise UpstreamFailure(error.message) from error
        await self.cache.delete(DID_CACHE_PREFIX + did)

    # --- Resolving ------------------------------------------------------------------------

    def hosts_did_web(self, did: str) -> bool:
        """Whether ``did`` is a did:web whose document this server serves."""
        host = did_web_host(did)
        return host is not None and (
            service_domain_of(host.lower(), self.settings.service_handle_domains) is not None
        )

    async def resolve_did(self, did: str, *, force_refresh: bool = False) -> dict[str, Any] | None:
        """The DID document of ``did``, or ``None``.

        Hosted did:plc and did:web accounts come from the database; other DIDs from the
        directory or their host, cached for ``identity.cache_ttl_s``.
        """
        if did.startswith(DID_PLC_PREFIX) or self.hosts_did_web(did):
            local = await self.local_did_document(did)
            if local is not None or self.hosts_did_web(did):
                return local
        key = DID_CACHE_PREFIX + did
        if not force_refresh:
            cached = await self.cache.get(key)
            if cached is not None:
                document: dict[str, Any] = json.loads(cached)
                return document
        resolved = await self.dids.resolve(did)
        if resolved is not None:
            await self.cache.set(
                key, json.dumps(resolved).encode(), ttl_s=self.settings.identity_cache_ttl_s
            )
        return resolved

    async def local_did_document(self, did: str) -> dict[str, Any] | None:
        """The DID document of an account hosted here, built from its handle and repo key."""
        account = await Account.get_or_none(did=did)
        return await self.hosted_did_document(did, account.handle if account else None)

    async def hosted_did_document(self, did: str, handle: str | None) -> dict[str, Any] | None:
        """:meth:`local_did_document` for a caller that already has the account's handle."""
        repo = await Repo.get_or_none(did=did)
        if repo is None:
            return None
        return build_did_document(
            did, handle, parse_multikey(repo.signing_public_key), self.pds_endpoint
        )

    async def resolve_handle(self, handle: str, *, force_refresh: bool = False) -> str | None:
        """The DID ``handle`` belongs to, or ``None``.

        Hosted accounts first; a handle under a service domain with no account here is
        unknown; others through DNS and HTTPS, cached for ``identity.cache_ttl_s``.
        """
        normalized = handle.lower()
        if not Handle.is_valid(normalized):
            return None
        account = await Account.get_or_none(handle=normalized)
        if account is not None:
            return account.did
        if service_domain_of(normalized, self.settings.service_handle_domains) is not None:
            return None
        key = HANDLE_CACHE_PREFIX + normalized
        if not force_refresh:
            cached = await self.cache.get(key)
            if cached is not None:
                return cached.decode()
        did = await self.handles.resolve(normalized)
        if did is not None:
            await self.cache.set(key, did.encode(), ttl_s=self.settings.identity_cache_ttl_s)
        return did

    async def resolve_to_did(self, identifier: str) -> str | None:
        """The DID an at-identifier names: a DID itself, or a local account's handle
        (case-insensitive); ``None`` for an unknown handle."""
        if Did.is_valid(identifier):
            return identifier
        if not Handle.is_valid(identifier):
            return None
        account = await Account.get_or_none(handle=identifier.lower())
        return account.did if account else None

    async def signing_key(
        self, did: str, *, key_id: str = "atproto", force_refresh: bool = False
    ) -> PublicKey | None:
        """The ``#<key_id>`` key of ``did``'s document, or ``None``."""
        document = await self.resolve_did(did, force_refresh=force_refresh)
        return verification_key(document, key_id) if document is not None else None

    async def published_signing_key(self, did: str) -> PublicKey | None:
        """The ``#atproto`` key ``did``'s document names where it is published.

        The directory's (did:plc) or the host's (did:web) document, never the one built
        here: while an account moves in, it still names the old server's key.
        """
        document = await self.dids.resolve(did)
        return verification_key(document) if document is not None else None

    async def did_points_here(self, did: str) -> bool:
        """Whether ``did``'s published document names this server and the key held here."""
        if self.hosts_did_web(did):
            return await Repo.exists(did=did)
        repo = await Repo.get_or_none(did=did)
        document = await self.dids.resolve(did)
        if repo is None or document is None:
            return False
        key = verification_key(document)
        return (
            pds_endpoint_of(document) == self.pds_endpoint
            and key is not None
            and key.multibase() == repo.signing_public_key
        )

    async def describe(self, did: str) -> IdentityInfo:
        """Handle and DID document of a hosted account."""
        account = await Account.get_or_none(did=did)
        handle = account.handle if account and account.handle else None
        return IdentityInfo(
            did=did,
            handle=handle or INVALID_HANDLE,
            did_document=await self.hosted_did_document(did, handle),
            handle_is_correct=handle is not None,
        )

    # --- Updating handles -----------------------------------------------------------------

    async def update_handle(self, did: str, handle: str) -> str:
        """Give hosted account ``did`` the handle ``handle``; the normalized handle.

        The rules of ``updateHandle``: a valid handle, under a service domain (length,
        reserved names) or resolving to ``did``; not another account's; the did:plc
        document updated first; then the handle and an ``#identity`` event, together.
        """
        account = await Account.get_or_none(did=did)
        if account is None:
            raise InvalidRequest("Account not found")
        domains = self.settings.service_handle_domains
        normalized = normalize_account_handle(handle, domains, allow_external=True)
        is_external = service_domain_of(normalized, domains) is None
        if is_external and await self.handles.resolve(normalized) != did:
            raise InvalidRequest("External handle did not resolve to DID")
        existing = await Account.get_or_none(handle=normalized)
        if existing is not None and existing.did != did:
            raise InvalidRequest(f"Handle already taken: {normalized}", error="HandleNotAvailable")
        if did.startswith(DID_PLC_PREFIX):
            await self._update_plc_handle(did, normalized)
        elif not self.hosts_did_web(did):
            document = await self.resolve_did(did, force_refresh=True)
            if document is None or handle_of(document) != normalized:
                raise InvalidRequest("DID is not properly configured for handle")
        await self._store_handle(did, normalized)
        for stale in {account.handle, normalized} - {None}:
            await self.cache.delete(f"{HANDLE_CACHE_PREFIX}{stale}")
        return normalized

    async def last_plc_operation(self, did: str) -> dict[str, Any]:
        """The directory's newest operation of ``did``; 400 if there is none, 502 if the
        directory cannot be reached."""
        if self.plc is None:
            raise InvalidRequest("This server has no PLC directory configured")
        try:
            last = await self.plc.get_last_operation(did)
        except PlcError as error:
            raise UpstreamFailure(error.message) from error
        if last is None:
            raise InvalidRequest(f"{did} is not registered with the PLC directory")
        return last

    async def _update_plc_handle(self, did: str, handle: str) -> None:
        last = await self.last_plc_operation(did)
        try:
            unsigned = update_operation(last, handle=handle)
        except (InvalidOperation, KeyError, TypeError) as error:
            raise UpstreamFailure(f"PLC directory sent an unusable operation: {error}") from None
        await self.submit_plc_operation(did, sign_operation(unsigned, self.rotation_key))

    async def sequence_identity(self, did: str, handle: str | None = None) -> None:
        """Sequence an ``#identity`` event: relays should re-resolve ``did`` (and ``handle``)."""
        await self.cache.delete(DID_CACHE_PREFIX + did)
        async with self.events.unit() as unit, unit.transaction():
            unit.add(IdentityEvent(did=did, handle=handle))

    async def _store_handle(self, did: str, handle: str) -> None:
        async with self.events.unit() as unit:
            try:
                async with unit.transaction() as connection:
                    await Account.filter(did=did).using_db(connection).update(handle=handle)
                    unit.add(IdentityEvent(did=did, handle=handle))
            except IntegrityError as error:
                raise InvalidRequest(
                    f"Handle already taken: {handle}", error="HandleNotAvailable"
                ) from error
