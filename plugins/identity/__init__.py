"""The ``identity`` plugin (essential): handles, DIDs, did:plc operations, service auth.

XRPC: ``com.atproto.identity.resolveHandle``, ``updateHandle``, ``resolveDid``,
``resolveIdentity``, ``getRecommendedDidCredentials``, ``submitPlcOperation`` and
``com.atproto.server.getServiceAuth``. Routes: ``/.well-known/atproto-did`` and
``/.well-known/did.json``, both answered by the request's Host header.
"""

from __future__ import annotations

from exprsn_pds import RouteRegistrar, XrpcRegistrar, hookimpl
from exprsn_pds.auth import access_auth, full_access_auth
from exprsn_pds.plugins.identity import dids, handles, plc, service_auth, well_known


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve the identity methods and ``getServiceAuth``."""
    registry.add("com.atproto.identity.resolveHandle", handles.resolve_handle)
    registry.add("com.atproto.identity.updateHandle", handles.update_handle, auth=full_access_auth)
    registry.add("com.atproto.identity.resolveDid", dids.resolve_did)
    registry.add("com.atproto.identity.resolveIdentity", dids.resolve_identity)
    registry.add(
        "com.atproto.identity.getRecommendedDidCredentials",
        plc.get_recommended_did_credentials,
        auth=access_auth,
    )
    registry.add(
        "com.atproto.identity.submitPlcOperation", plc.submit_plc_operation, auth=full_access_auth
    )
    registry.add(
        "com.atproto.server.getServiceAuth", service_auth.get_service_auth, auth=access_auth
    )


@hookimpl
def pds_register_routes(routes: RouteRegistrar) -> None:
    """Serve ``/.well-known/atproto-did`` and ``/.well-known/did.json`` by Host header."""
    routes.add("/.well-known/atproto-did", well_known.atproto_did)
    routes.add("/.well-known/did.json", well_known.did_json)
