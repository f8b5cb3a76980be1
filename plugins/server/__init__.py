"""The ``server`` plugin (essential): describeServer, checkSignupQueue, health, banner, robots
and the API reference (``/openapi.json``)."""

from __future__ import annotations

import json
from typing import Any
from weakref import WeakKeyDictionary

from quart import Response

from exprsn_pds import Pds, RouteRegistrar, XrpcContext, XrpcRegistrar, access_auth, hookimpl
from exprsn_pds.openapi import openapi_document

BANNER = """\
         _   _
  _____ ___ __ _ _ ____ _ __    _ __  __| |___
 / -_) \\ / '_ \\ '_(_-< '  \\  | '_ \\/ _` (_-<
 \\___/_\\_\\ .__/_| /__/_||_| | .__/\\__,_/__/
         |_|                 |_|

This is an AT Protocol Personal Data Server (exprsn-pds {version}).

Most API routes are under /xrpc/

  Protocol: https://atproto.com
"""

ROBOTS_TXT = """\
# Hello Friends!
# Crawling the public parts of the API is allowed. HTTP 429 ("backoff") status codes are used
# for rate-limiting. Up to a handful concurrent requests should be ok.
User-agent: *
Allow: /
"""

# The dispatch table is fixed at start-up, so each server's document is built once.
_OPENAPI_DOCUMENTS: WeakKeyDictionary[Pds, bytes] = WeakKeyDictionary()


async def describe_server(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.describeServer``: how accounts can be created here."""
    settings = ctx.pds.settings
    description: dict[str, Any] = {
        "did": settings.service_did,
        "availableUserDomains": [
            domain if domain.startswith(".") else f".{domain}"
            for domain in settings.service_handle_domains
        ],
        "inviteCodeRequired": settings.invite_required,
        "phoneVerificationRequired": False,
    }
    links = {
        "privacyPolicy": settings.privacy_policy_url,
        "termsOfService": settings.terms_of_service_url,
    }
    if any(links.values()):
        description["links"] = {key: value for key, value in links.items() if value}
    if settings.contact_email:
        description["contact"] = {"email": settings.contact_email}
    return description


async def health(pds: Pds) -> Any:
    """``/xrpc/_health``: the version; 503 when the database does not answer."""
    if await pds.database.ping():
        return {"version": pds.version}
    return {"version": pds.version, "error": "Service Unavailable"}, 503


async def banner(pds: Pds) -> Response:
    """``/``: a plain-text banner."""
    return Response(BANNER.format(version=pds.version), content_type="text/plain; charset=utf-8")


async def robots(pds: Pds) -> Response:
    """``/robots.txt``: crawling the public API is allowed."""
    return Response(ROBOTS_TXT, content_type="text/plain; charset=utf-8")


async def check_signup_queue(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.temp.checkSignupQueue``: activated; this server has no signup queue."""
    return {"activated": True}


async def openapi(pds: Pds) -> Response:
    """``/openapi.json``: the OpenAPI 3.1 reference of every XRPC method served here."""
    document = _OPENAPI_DOCUMENTS.get(pds)
    if document is None:
        document = json.dumps(openapi_document(pds), separators=(",", ":")).encode()
        _OPENAPI_DOCUMENTS[pds] = document
    return Response(document, content_type="application/json")


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve ``describeServer`` and ``temp.checkSignupQueue`` (for a session)."""
    registry.add("com.atproto.server.describeServer", describe_server)
    registry.add("com.atproto.temp.checkSignupQueue", check_signup_queue, auth=access_auth)


@hookimpl
def pds_register_routes(routes: RouteRegistrar) -> None:
    """Serve ``/``, ``/robots.txt``, ``/xrpc/_health`` and ``/openapi.json``."""
    routes.add("/", banner)
    routes.add("/robots.txt", robots)
    routes.add("/xrpc/_health", health)
    routes.add("/openapi.json", openapi)
