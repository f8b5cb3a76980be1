"""Resolving a handle to a DID over the network (atproto spec "Handle", resolution).

First a DNS TXT record at ``_atproto.<handle>`` with exactly one ``did=<DID>`` value, then
``https://<handle>/.well-known/atproto-did``, whose first line is the DID. Either may be
missing; a malformed or ambiguous answer counts as none.

Both transports are injectable: ``dns_resolver`` (a ``dns.asyncresolver.Resolver``, e.g.
pointed at a local server) and ``well_known_url`` (where to fetch a handle's
``atproto-did`` from; the request always carries ``Host: <handle>``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import httpx

from exprsn_pds.identity.fetch import FetchFailed, fetch_bounded
from exprsn_pds.logs import get_logger
from exprsn_pds.syntax import Did

DNS_PREFIX: Final = "_atproto."
TXT_PREFIX: Final = "did="
WELL_KNOWN_PATH: Final = "/.well-known/atproto-did"

log = get_logger(__name__)


def https_well_known_url(handle: str) -> str:
    """``https://<handle>/.well-known/atproto-did``."""
    return f"https://{handle}{WELL_KNOWN_PATH}"


class HandleResolver:
    """Resolves handles through DNS, then HTTPS."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        timeout_s: float,
        max_response_bytes: int,
        dns_resolver: dns.asyncresolver.Resolver | None = None,
        well_known_url: Callable[[str], str] = https_well_known_url,
    ) -> None:
        self.http = http
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self._dns_resolver = dns_resolver
        self.well_known_url = well_known_url

    @property
    def dns_resolver(self) -> dns.asyncresolver.Resolver:
        """The DNS resolver (the system's, from ``/etc/resolv.conf``, unless one was given)."""
        if self._dns_resolver is None:
            self._dns_resolver = dns.asyncresolver.Resolver()
        return self._dns_resolver

    @dns_resolver.setter
    def dns_resolver(self, resolver: dns.asyncresolver.Resolver) -> None:
        self._dns_resolver = resolver

    async def resolve(self, handle: str) -> str | None:
        """The DID ``handle`` (normalized) claims, or ``None``."""
        return await self.resolve_dns(handle) or await self.resolve_https(handle)

    async def resolve_dns(self, handle: str) -> str | None:
        """The DID in the ``_atproto.<handle>`` TXT record, or ``None``."""
        try:
            answer = await self.dns_resolver.resolve(
                DNS_PREFIX + handle, dns.rdatatype.TXT, lifetime=self.timeout_s
            )
        except (dns.exception.DNSException, OSError) as error:
            log.debug("no DNS handle record", handle=handle, reason=type(error).__name__)
            return None
        values = [
            b"".join(record.strings).decode("ascii", "replace")
            for record in answer
            if isinstance(record, dns.rdtypes.ANY.TXT.TXT)
        ]
        dids = [value.removeprefix(TXT_PREFIX) for value in values if value.startswith(TXT_PREFIX)]
        if len(dids) != 1 or not Did.is_valid(dids[0]):
            return None
        return dids[0]

    async def resolve_https(self, handle: str) -> str | None:
        """The DID ``https://<handle>/.well-known/atproto-did`` names, or ``None``."""
        try:
            body = await fetch_bounded(
                self.http,
                self.well_known_url(handle),
                timeout_s=self.timeout_s,
                max_bytes=self.max_response_bytes,
                headers={"Host": handle, "Accept": "text/plain"},
            )
        except FetchFailed as error:
            log.debug("no HTTPS handle answer", handle=handle, reason=str(error))
            return None
        lines = body.decode("utf-8", "replace").splitlines()
        did = lines[0].strip() if lines else ""
        return did if Did.is_valid(did) else None
