"""Resolving identifiers to accounts hosted here and describing their identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exprsn_pds.accounts.models import Account
from exprsn_pds.crypto import PublicKey, parse_multikey
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.identity.did_document import build_did_document
from exprsn_pds.identity.handles import service_domain_of
from exprsn_pds.repo.models import Repo
from exprsn_pds.syntax import Handle

INVALID_HANDLE = "handle.invalid"


@dataclass(frozen=True)
class IdentityInfo:
    """A hosted account's identity: handle (or ``handle.invalid``) and DID document."""

    did: str
    handle: str
    did_document: dict[str, Any] | None
    handle_is_correct: bool


class IdentityService:
    """Identity of the accounts this server hosts."""

    def __init__(self, pds_endpoint: str, service_domains: Sequence[str]) -> None:
        self.pds_endpoint = pds_endpoint
        self.service_domains = tuple(service_domains)

    async def resolve_to_did(self, identifier: str) -> str | None:
        """The DID of a local account by handle (case-insensitive), or ``None``."""
        if not Handle.is_valid(identifier):
            return None
        account = await Account.get_or_none(handle=identifier.lower())
        return account.did if account else None

    async def create_did(
        self, handle: str, signing_key: PublicKey, recovery_key: str | None
    ) -> str:
        """A new DID for an account: ``did:web:<handle>`` for a handle under ``service_domains``.

        ``signing_key`` and ``recovery_key`` go into DID documents that carry keys in the
        DID's own method; a did:web document is served from the account's record here.
        """
        del signing_key, recovery_key  # a did:web document is built from the repo row
        if service_domain_of(handle, self.service_domains) is None:
            raise InvalidRequest(
                "A did:web needs a handle under this server's domains", error="UnsupportedDomain"
            )
        return f"did:web:{handle}"

    async def describe(self, did: str) -> IdentityInfo:
        """Handle and DID document of a hosted account."""
        account = await Account.get_or_none(did=did)
        repo = await Repo.get_or_none(did=did)
        handle = account.handle if account and account.handle else None
        document = (
            build_did_document(
                did, handle, parse_multikey(repo.signing_public_key), self.pds_endpoint
            )
            if repo is not None
            else None
        )
        return IdentityInfo(
            did=did,
            handle=handle or INVALID_HANDLE,
            did_document=document,
            handle_is_correct=handle is not None,
        )
