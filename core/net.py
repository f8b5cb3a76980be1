"""Who is on the other end: the client's IP address, behind trusted reverse proxies.

``X-Forwarded-For`` is honoured only when the direct peer is a trusted proxy
(``server.trusted_proxies``). The header is then read from the right: each hop a
trusted proxy appended is skipped, and the first address not in a trusted network is
the client. When every hop is trusted, the left-most one is. Anyone can write the
left part of the header, so nothing left of the first untrusted hop is believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quart import Request, Websocket

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_FOR_HEADER = "X-Forwarded-For"
UNKNOWN_CLIENT = "unknown"


def parse_networks(values: Iterable[str]) -> tuple[IpNetwork, ...]:
    """IP addresses or CIDR networks (``10.0.0.0/8``, ``::1``) → networks.

    Raises :class:`ValueError` naming the first entry that is neither.
    """
    networks: list[IpNetwork] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"{value!r} is not an IP address or CIDR network") from error
    return tuple(networks)


def parse_ip(text: str | None) -> IpAddress | None:
    """An IP address from a peer or header value, or ``None`` when it is not one.

    Accepts ``[v6]`` brackets; IPv4-mapped IPv6 addresses become plain IPv4.
    """
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve_client_ip(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IpNetwork]
) -> str:
    """The client address given the direct ``peer`` and the ``X-Forwarded-For`` hops.

    A peer that is no IP address (a Unix socket) is returned as it is, or
    ``"unknown"`` when absent; its forwarded header is not believed.
    """
    address = parse_ip(peer)
    if address is None:
        return peer or UNKNOWN_CLIENT
    for hop in reversed(forwarded_for):
        if not _is_trusted(address, trusted):
            break
        previous = parse_ip(hop)
        if previous is None:
            break
        address = previous
    return str(address)


def client_ip(request: Request | Websocket, trusted: Sequence[IpNetwork]) -> str:
    """The IP address of the client behind ``request`` (see the module docstring)."""
    client = request.scope.get("client")
    peer = str(client[0]) if client else None
    hops = [
        hop.strip()
        for value in request.headers.getlist(FORWARDED_FOR_HEADER)
        for hop in value.split(",")
        if hop.strip()
    ]
    return resolve_client_ip(peer, hops, trusted)


def _is_trusted(address: IpAddress, trusted: Sequence[IpNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)
