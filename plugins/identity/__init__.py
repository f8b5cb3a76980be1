"""The ``identity`` plugin (essential): handles, DIDs, did:plc operations, service auth.

XRPC: ``com.atproto.identity.resolveHandle``, ``updateHandle``, ``resolveDid``,
``resolveIdentity``, ``refreshIdentity``, ``getRecommendedDidCredentials``, ``submitPlcOperation``,
``requestPlcOperationSignature`` and ``signPlcOperation`` (when a mailer can send the
code) and ``com.atproto.server.getServiceAuth``. Routes: ``/.well-known/atproto-did`` and
``/.well-known/did.json``, both answered by the request's Host header.
"""

from __future__ import annotations

from exprsn_pds import (
    Pds,
    RouteRegistrar,
    XrpcRegistrar,
    access_auth,
    account_full_auth,
    full_access_auth,
    hookimpl,
)
from exprsn_pds.plugins.identity import (
    dids,
    handles,
    plc,
    plc_signing,
    service_auth,
    well_known,
)
from exprsn_pds.ratelimit.official import EMAIL_REQUEST_DAY, EMAIL_REQUEST_HOUR


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar, pds: Pds) -> None:
    """Serve the identity methods and ``getServiceAuth``."""
    registry.add("com.atproto.identity.resolveHandle", handles.resolve_handle)
    registry.add("com.atproto.identity.updateHandle", handles.update_handle, auth=full_access_auth)
    registry.add("com.atproto.identity.resolveDid", dids.resolve_did)
    registry.add("com.atproto.identity.resolveIdentity", dids.resolve_identity)
    registry.add("com.atproto.identity.refreshIdentity", dids.refresh_identity, auth=access_auth)
    registry.add(
        "com.atproto.identity.getRecommendedDidCredentials",
        plc.get_recommended_did_credentials,
        auth=access_auth,
    )
    registry.add(
        "com.atproto.identity.submitPlcOperation", plc.submit_plc_operation, auth=full_access_auth
    )
    if pds.has_mailer:
        _register_plc_signing(registry)
    registry.add(
        "com.atproto.server.getServiceAuth", service_auth.get_service_auth, auth=access_auth
    )


def _register_plc_signing(registry: XrpcRegistrar) -> None:
    registry.add(
        "com.atproto.identity.requestPlcOperationSignature",
        plc_signing.request_plc_operation_signature,
        auth=account_full_auth,
        rate_limits=[EMAIL_REQUEST_HOUR, EMAIL_REQUEST_DAY],
    )
    registry.add(
        "com.atproto.identity.signPlcOperation",
        plc_signing.sign_plc_operation,
        auth=account_full_auth,
    )


@hookimpl
def pds_register_routes(routes: RouteRegistrar) -> None:
    """Serve ``/.well-known/atproto-did`` and ``/.well-known/did.json`` by Host header."""
    routes.add("/.well-known/atproto-did", well_known.atproto_did)
    routes.add("/.well-known/did.json", well_known.did_json)
