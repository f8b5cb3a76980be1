"""``getRecommendedDidCredentials`` and ``submitPlcOperation`` (migrations, key changes)."""

from __future__ import annotations

from typing import Any

from exprsn_pds import InvalidRequest, XrpcContext, caller_did
from exprsn_pds.identity.did_resolver import DID_PLC_PREFIX
from exprsn_pds.identity.plc_ops import (
    AT_URI_PREFIX,
    ATPROTO_KEY,
    PDS_SERVICE,
    PDS_SERVICE_TYPE,
    InvalidOperation,
    check_operation,
)


async def get_recommended_did_credentials(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.identity.getRecommendedDidCredentials``: what the caller's DID
    document should hold to be served from here (keys, handle, PDS endpoint)."""
    did = caller_did(ctx.auth)
    identity = ctx.pds.identity
    account = await ctx.pds.accounts.get(did)
    signing_key = await ctx.pds.repos.signing_public_key(did)
    credentials: dict[str, Any] = {
        "rotationKeys": identity.rotation_keys(),
        "verificationMethods": {ATPROTO_KEY: signing_key.did_key()},
        "services": {PDS_SERVICE: {"type": PDS_SERVICE_TYPE, "endpoint": identity.pds_endpoint}},
    }
    if account is not None and account.handle:
        credentials["alsoKnownAs"] = [f"{AT_URI_PREFIX}{account.handle}"]
    return credentials


async def submit_plc_operation(ctx: XrpcContext) -> None:
    """``com.atproto.identity.submitPlcOperation``: send the caller's signed operation to
    the directory, if it keeps this server in control (rotation key, signing key, PDS
    endpoint, handle), then sequence an ``#identity`` event."""
    did = caller_did(ctx.auth)
    if not did.startswith(DID_PLC_PREFIX):
        raise InvalidRequest("Only did:plc identities have PLC operations")
    try:
        operation = check_operation(ctx.input["operation"])
    except InvalidOperation as error:
        raise InvalidRequest(f"Invalid operation: {error}") from None
    identity = ctx.pds.identity
    if identity.rotation_did_key not in operation["rotationKeys"]:
        raise InvalidRequest("Rotation keys do not include server's rotation key")
    service = operation["services"].get(PDS_SERVICE, {})
    if service.get("type") != PDS_SERVICE_TYPE:
        raise InvalidRequest("Incorrect type on atproto_pds service")
    if service.get("endpoint") != identity.pds_endpoint:
        raise InvalidRequest("Incorrect endpoint on atproto_pds service")
    if (
        operation["verificationMethods"].get(ATPROTO_KEY)
        != (await ctx.pds.repos.signing_public_key(did)).did_key()
    ):
        raise InvalidRequest("Incorrect signing key")
    account = await ctx.pds.accounts.get(did)
    also_known_as = operation["alsoKnownAs"]
    if account is not None and account.handle:
        first = also_known_as[0] if also_known_as else None
        if first != f"{AT_URI_PREFIX}{account.handle}":
            raise InvalidRequest("Incorrect handle in alsoKnownAs")
    await identity.submit_plc_operation(did, operation)
    await identity.sequence_identity(did)
