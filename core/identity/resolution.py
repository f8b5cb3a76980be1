"""Resolving DIDs and handles: hosted accounts from the database, others over the network."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from exprsn_pds.accounts.models import Account
from exprsn_pds.crypto import PublicKey, parse_multikey
from exprsn_pds.identity.base import DID_CACHE_PREFIX, HANDLE_CACHE_PREFIX, IdentityBase
from exprsn_pds.identity.did_document import build_did_document, pds_endpoint_of, verification_key
from exprsn_pds.identity.did_resolver import DID_PLC_PREFIX, did_web_host
from exprsn_pds.identity.handles import service_domain_of
from exprsn_pds.repo.store import repo_row
from exprsn_pds.syntax import Did, Handle

INVALID_HANDLE: Final = "handle.invalid"


@dataclass(frozen=True)
class IdentityInfo:
    """A hosted account's identity: handle (or ``handle.invalid``) and DID document."""

    did: str
    handle: str
    did_document: dict[str, Any] | None
    handle_is_correct: bool


class IdentityResolution(IdentityBase):
    """DID documents and handles, hosted ones from the database, others cached."""

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
        repo = await repo_row(self.database.client, did)
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
            return await repo_row(self.database.client, did) is not None
        repo = await repo_row(self.database.client, did)
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
