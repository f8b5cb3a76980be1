"""Creating DIDs: a new account's did:plc (its genesis operation) or did:web, and PLC operations."""

from __future__ import annotations

from typing import Any

from exprsn_pds.crypto import InvalidKey, PublicKey, parse_did_key
from exprsn_pds.errors import InvalidRequest, UnsupportedDomain, UpstreamFailure
from exprsn_pds.identity.base import DID_CACHE_PREFIX, IdentityBase
from exprsn_pds.identity.did_web import new_did_web
from exprsn_pds.identity.handles import service_domain_of
from exprsn_pds.identity.plc_client import PlcError
from exprsn_pds.identity.plc_ops import atproto_operation, did_for_genesis, sign_operation


class DidCreation(IdentityBase):
    """A new account's DID, and the operations sent to the PLC directory."""

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
            raise UnsupportedDomain(
                "This server creates did:web accounts only, for handles under its own domains"
            )
        return await new_did_web(self.database, handle.lower())

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
