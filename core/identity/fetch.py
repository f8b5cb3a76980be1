"""Bounded HTTP GETs of identity documents from other hosts.

No redirects (the shared client never follows them), one timeout for the whole exchange,
and the body read as a stream and refused past a size limit, so a hostile host can
neither stall nor flood the server.
"""

from __future__ import annotations

import asyncio

import httpx


class FetchFailed(Exception):
    """The host did not answer 200 with a body within the limits."""


async def fetch_bounded(
    http: httpx.AsyncClient,
    url: str,
    *,
    timeout_s: float,
    max_bytes: int,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The body of a 200 answer to ``GET url``; :class:`FetchFailed` otherwise."""
    try:
        async with asyncio.timeout(timeout_s):
            return await _get(http, url, max_bytes=max_bytes, headers=headers)
    except TimeoutError as error:
        raise FetchFailed(f"{url}: no answer within {timeout_s} s") from error
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        # InvalidURL: a URL built from a caller's input that no request can go to.
        raise FetchFailed(f"{url}: {type(error).__name__}") from error


async def _get(
    http: httpx.AsyncClient, url: str, *, max_bytes: int, headers: dict[str, str] | None
) -> bytes:
    async with http.stream("GET", url, headers=headers) as response:
        if response.status_code != 200:
            raise FetchFailed(f"{url} answered {response.status_code}")
        received = bytearray()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > max_bytes:
                raise FetchFailed(f"{url} sent more than {max_bytes} bytes")
        return bytes(received)
