"""Resolving a DID to its DID document over the network (atproto spec "DID").

atproto supports two methods: ``did:plc`` (the document comes from the PLC directory)
and ``did:web`` (hostname-level only: ``https://<host>/.well-known/did.json``, plain
HTTP for ``localhost``). A document whose ``id`` is not the DID counts as none.
A did:web must name a host (``%3A`` may encode a port): anything else, e.g. a
percent-encoded NUL or slash, is no DID this resolver fetches. A document is JSON nested
no deeper than ``max_nesting_levels``. ``web_url`` (where a did:web host's document is
fetched from) is injectable for tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import unquote

import httpx

from exprsn_pds.datamodel import DataModelError, parse_json
from exprsn_pds.identity.fetch import FetchFailed, fetch_bounded
from exprsn_pds.identity.plc_client import PlcClient, PlcError
from exprsn_pds.logs import get_logger
from exprsn_pds.syntax import Did

DID_WEB_PREFIX: Final = "did:web:"
DID_PLC_PREFIX: Final = "did:plc:"
WELL_KNOWN_DID_PATH: Final = "/.well-known/did.json"
_PLAIN_HTTP_HOSTS: Final = ("localhost",)
# A DNS name (labels of letters, digits and inner hyphens), then an optional port.
_LABEL: Final = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_HOST: Final = re.compile(rf"(?P<name>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[0-9]{{1,5}}))?")
_MAX_HOSTNAME_LENGTH: Final = 253
_MAX_PORT: Final = 65535

log = get_logger(__name__)


def did_web_host(did: str) -> str | None:
    """The host (with ``:port`` when encoded as ``%3A``) of a hostname-level did:web.

    ``None`` unless it is a DNS name with an optional port: a did:web with a path is not
    supported by atproto, and no other character may reach a URL.
    """
    if not did.startswith(DID_WEB_PREFIX):
        return None
    encoded = did.removeprefix(DID_WEB_PREFIX)
    if ":" in encoded or not encoded:
        return None  # did:web with a path: not supported by atproto
    host = unquote(encoded)
    match = _HOST.fullmatch(host)
    if match is None or len(match["name"]) > _MAX_HOSTNAME_LENGTH:
        return None
    if match["port"] is not None and not 0 < int(match["port"]) <= _MAX_PORT:
        return None
    return host


def did_web_url(host: str) -> str:
    """Where a did:web host serves its document."""
    scheme = "http" if host.split(":")[0] in _PLAIN_HTTP_HOSTS else "https"
    return f"{scheme}://{host}{WELL_KNOWN_DID_PATH}"


class DidResolver:
    """Fetches DID documents of did:plc (from the directory) and did:web DIDs."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        plc: PlcClient | None,
        timeout_s: float,
        max_response_bytes: int,
        max_nesting_levels: int,
        web_url: Callable[[str], str] = did_web_url,
    ) -> None:
        self.http = http
        self.plc = plc
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self.max_nesting_levels = max_nesting_levels
        self.web_url = web_url

    async def resolve(self, did: str) -> dict[str, Any] | None:
        """The DID document of ``did``, or ``None`` when it cannot be resolved."""
        if not Did.is_valid(did):
            return None
        if did.startswith(DID_PLC_PREFIX):
            document = await self._resolve_plc(did)
        elif did.startswith(DID_WEB_PREFIX):
            document = await self._resolve_web(did)
        else:
            return None
        if document is None or document.get("id") != did:
            return None
        return document

    async def _resolve_plc(self, did: str) -> dict[str, Any] | None:
        if self.plc is None:
            return None
        try:
            return await self.plc.get_document(did)
        except PlcError as error:
            log.debug("PLC resolution failed", did=did, reason=error.message)
            return None

    async def _resolve_web(self, did: str) -> dict[str, Any] | None:
        host = did_web_host(did)
        if host is None:
            return None
        try:
            body = await fetch_bounded(
                self.http,
                self.web_url(host),
                timeout_s=self.timeout_s,
                max_bytes=self.max_response_bytes,
                headers={"Host": host, "Accept": "application/json"},
            )
            document = parse_json(body, max_levels=self.max_nesting_levels)
        except (FetchFailed, DataModelError) as error:
            log.debug("did:web resolution failed", did=did, reason=str(error))
            return None
        return document if isinstance(document, dict) else None
