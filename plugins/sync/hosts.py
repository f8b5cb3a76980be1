"""The relay-side host methods, answered as a PDS: it crawls no hosts and consumes none.

``requestCrawl`` with this server's own hostname asks the configured relays
(``sync.crawlers``) to crawl it, at most once per ``sync.crawl_interval_s``; any other
hostname is refused. ``listHosts`` lists no hosts and ``getHostStatus`` knows none
(``HostNotFound``): a PDS has no upstream hosts.
"""

from __future__ import annotations

from typing import Any

from exprsn_pds import InvalidRequest, XrpcContext


async def request_crawl(ctx: XrpcContext) -> None:
    """``com.atproto.sync.requestCrawl``: pass a request for this server on to the relays."""
    hostname = str(ctx.input["hostname"]).strip().lower()
    if hostname != ctx.pds.settings.hostname.lower():
        raise InvalidRequest(
            f"This server is a PDS and crawls no other host ({hostname!r}); ask a relay"
        )
    ctx.pds.crawlers.notify()


async def list_hosts(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.sync.listHosts``: none; a PDS subscribes to no upstream host."""
    return {"hosts": []}


async def get_host_status(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.sync.getHostStatus``: ``HostNotFound``, for every hostname."""
    raise InvalidRequest(
        f"This server is a PDS and consumes no upstream host ({ctx.params['hostname']!r})",
        error="HostNotFound",
    )
