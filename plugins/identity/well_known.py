"""``/.well-known/atproto-did`` and ``/.well-known/did.json``, answered by Host header."""

from __future__ import annotations

from urllib.parse import quote

from quart import Response, request

from exprsn_pds import Pds
from exprsn_pds.identity.did_document import build_service_did_document
from exprsn_pds.identity.did_resolver import DID_WEB_PREFIX
from exprsn_pds.identity.handles import service_domain_of

NOT_FOUND_TEXT = "User not found"
TEXT_PLAIN = "text/plain; charset=utf-8"


def _host() -> tuple[str, str]:
    """The request's host name and host (with ``:port`` if given), lowercased."""
    host = request.host.lower()
    return host.rsplit(":", 1)[0] if ":" in host else host, host


async def atproto_did(pds: Pds) -> Response:
    """The DID of the account whose handle is the Host (under this server's domains)."""
    hostname, _ = _host()
    if service_domain_of(hostname, pds.settings.service_handle_domains) is None:
        return Response(NOT_FOUND_TEXT, status=404, content_type=TEXT_PLAIN)
    account = await pds.accounts.by_handle(hostname)
    if account is None:
        return Response(NOT_FOUND_TEXT, status=404, content_type=TEXT_PLAIN)
    return Response(account.did, content_type=TEXT_PLAIN)


async def did_json(pds: Pds) -> Response | tuple[dict[str, str], int] | dict[str, object]:
    """The did:web document of the Host: this server's own (with ``#bsky_fg`` when it
    generates feeds), or a hosted account's."""
    hostname, host = _host()
    candidates = {DID_WEB_PREFIX + quote(name, safe="") for name in (hostname, host)}
    if pds.settings.service_did in candidates:
        return build_service_did_document(
            pds.settings.service_did,
            pds.settings.public_url,
            feed_generator=bool(pds.feed_algorithms),
        )
    did = DID_WEB_PREFIX + hostname
    if pds.identity.hosts_did_web(did):
        document = await pds.identity.local_did_document(did)
        if document is not None:
            return document
    return {"error": "NotFound", "message": "No DID document for this host"}, 404
