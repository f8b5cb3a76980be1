"""Updating a hosted account's handle (``updateHandle``) and announcing identity changes."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from exprsn_pds.accounts.models import Account
from exprsn_pds.errors import HandleNotAvailable, InvalidRequest, UpstreamFailure
from exprsn_pds.events import IdentityEvent
from exprsn_pds.identity.base import DID_CACHE_PREFIX, HANDLE_CACHE_PREFIX
from exprsn_pds.identity.did_creation import DidCreation
from exprsn_pds.identity.did_document import handle_of
from exprsn_pds.identity.did_resolver import DID_PLC_PREFIX
from exprsn_pds.identity.handles import normalize_account_handle, service_domain_of
from exprsn_pds.identity.plc_ops import InvalidOperation, sign_operation, update_operation
from exprsn_pds.identity.resolution import IdentityResolution


class HandleUpdates(IdentityResolution, DidCreation):
    """The rules of ``updateHandle``, and ``#identity`` events."""

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
            raise HandleNotAvailable(normalized)
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
                raise HandleNotAvailable(handle) from error
