"""``CrawlerNotifier``: asks relays to crawl this server (``com.atproto.sync.requestCrawl``).

Called after every commit, it sends each configured crawler at most one request per
``interval_s`` (a burst of commits costs one request), retrying a failed one with
exponential backoff a bounded number of times. Requests run in the background; the
commit never waits for them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Final

import httpx

from exprsn_pds.logs import get_logger

REQUEST_CRAWL_PATH: Final = "/xrpc/com.atproto.sync.requestCrawl"
DEFAULT_INTERVAL_S: Final = 20 * 60.0
DEFAULT_MAX_ATTEMPTS: Final = 5
DEFAULT_RETRY_FIRST_DELAY_S: Final = 1.0
TOO_MANY_REQUESTS: Final = 429
FIRST_SERVER_ERROR: Final = 500

log = get_logger(__name__)


class CrawlerNotifier:
    """Tells ``crawlers`` (base URLs such as ``https://bsky.network``) about ``hostname``.

    ``http`` is the shared client. A request is retried after a transport error, a 429 or
    a 5xx answer, up to ``max_attempts`` in all, waiting ``retry_first_delay_s`` and then
    twice as long each time; any other error answer is final. Each outcome is logged.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        crawlers: Sequence[str],
        hostname: str,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retry_first_delay_s: float = DEFAULT_RETRY_FIRST_DELAY_S,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self._http = http
        self._crawlers = tuple(crawlers)
        self._hostname = hostname
        self._interval_s = interval_s
        self._max_attempts = max_attempts
        self._retry_first_delay_s = retry_first_delay_s
        self._next_request_at = dict.fromkeys(self._crawlers, float("-inf"))
        self._requests: set[asyncio.Task[None]] = set()

    def notify(self) -> None:
        """Request a crawl from each crawler not asked within the last ``interval_s``."""
        now = time.monotonic()
        for crawler in self._crawlers:
            if now < self._next_request_at[crawler]:
                continue
            self._next_request_at[crawler] = now + self._interval_s
            request = asyncio.create_task(self._request_crawl(crawler))
            self._requests.add(request)
            request.add_done_callback(self._requests.discard)

    async def wait(self) -> None:
        """Wait until the requests under way have succeeded or given up."""
        while self._requests:
            await asyncio.wait(set(self._requests))

    async def close(self) -> None:
        """Abandon the requests under way (at shutdown)."""
        requests = set(self._requests)
        for request in requests:
            request.cancel()
        await asyncio.gather(*requests, return_exceptions=True)

    async def _request_crawl(self, crawler: str) -> None:
        url = crawler.rstrip("/") + REQUEST_CRAWL_PATH
        delay_s = self._retry_first_delay_s
        failure = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = await self._http.post(url, json={"hostname": self._hostname})
            except httpx.HTTPError as error:
                failure = f"{type(error).__name__}: {error}"
            else:
                if response.is_success:
                    log.info("crawler notified", crawler=crawler, status=response.status_code)
                    return
                if not _worth_retrying(response.status_code):
                    log.warning(
                        "crawler refused the crawl request",
                        crawler=crawler,
                        status=response.status_code,
                        body=response.text,
                    )
                    return
                failure = f"HTTP {response.status_code}"
            if attempt < self._max_attempts:
                log.warning(
                    "crawl request failed; retrying",
                    crawler=crawler,
                    attempt=attempt,
                    error=failure,
                    retry_s=delay_s,
                )
                await asyncio.sleep(delay_s)
                delay_s *= 2
        log.error(
            "crawl request failed; giving up",
            crawler=crawler,
            attempts=self._max_attempts,
            error=failure,
        )


def _worth_retrying(status: int) -> bool:
    return status == TOO_MANY_REQUESTS or status >= FIRST_SERVER_ERROR
