"""Asking relays to crawl us: ``com.atproto.sync.requestCrawl`` against a local stub relay."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from quart import Quart, request
from structlog.testing import capture_logs

from exprsn_pds.events import CrawlerNotifier

HOSTNAME = "pds.example.com"
REQUEST_CRAWL = "/xrpc/com.atproto.sync.requestCrawl"
FAST_RETRY_S = 0.001
MAX_ATTEMPTS = 3
STARTUP_TIMEOUT_S = 10.0


class StubRelay:
    """A relay's ``requestCrawl``: records each request; fails the first ``failures``."""

    def __init__(self, *, failures: int = 0, failure_status: int = 503) -> None:
        self.requests: list[tuple[str, Any]] = []
        self.failures = failures
        self.failure_status = failure_status
        self.app = Quart(__name__)
        self.app.add_url_rule(REQUEST_CRAWL, "request_crawl", self.request_crawl, methods=["POST"])

    async def request_crawl(self) -> Any:
        self.requests.append((request.mimetype, await request.get_json()))
        if len(self.requests) <= self.failures:
            return {"error": "Unavailable", "message": "try later"}, self.failure_status
        return "", 200


@asynccontextmanager
async def serving(relay: StubRelay) -> AsyncIterator[str]:
    """``relay`` served by hypercorn on a free local port; its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = HypercornConfig()
    config.bind = [f"fd://{listener.detach()}"]
    config.accesslog = config.errorlog = None
    stopping = asyncio.Event()
    server = asyncio.create_task(serve(relay.app, config, shutdown_trigger=stopping.wait))
    try:
        async with httpx.AsyncClient() as probe, asyncio.timeout(STARTUP_TIMEOUT_S):
            while True:
                try:
                    await probe.get(url)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.01)
        yield url
    finally:
        stopping.set()
        await server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def notifier(http: httpx.AsyncClient, crawlers: list[str], **options: Any) -> CrawlerNotifier:
    options = {"max_attempts": MAX_ATTEMPTS, "retry_first_delay_s": FAST_RETRY_S, **options}
    return CrawlerNotifier(http, crawlers, HOSTNAME, **options)


async def test_the_first_notify_sends_one_request_with_our_hostname(
    http: httpx.AsyncClient,
) -> None:
    relay = StubRelay()
    async with serving(relay) as url:
        crawlers = notifier(http, [url])
        with capture_logs() as logs:
            crawlers.notify()
            await crawlers.wait()
    assert relay.requests == [("application/json", {"hostname": HOSTNAME})]
    assert [entry["event"] for entry in logs] == ["crawler notified"]
    assert logs[0]["crawler"] == url


async def test_a_burst_of_notifies_sends_one_request(http: httpx.AsyncClient) -> None:
    relay = StubRelay()
    async with serving(relay) as url:
        crawlers = notifier(http, [url])
        for _ in range(10):
            crawlers.notify()
        await crawlers.wait()
        crawlers.notify()
        await crawlers.wait()
    assert len(relay.requests) == 1


async def test_notifies_after_the_interval_send_again(http: httpx.AsyncClient) -> None:
    relay = StubRelay()
    async with serving(relay) as url:
        crawlers = notifier(http, [url], interval_s=0)
        for _ in range(3):
            crawlers.notify()
            await crawlers.wait()
    assert len(relay.requests) == 3


async def test_every_crawler_is_asked(http: httpx.AsyncClient) -> None:
    first, second = StubRelay(), StubRelay()
    async with serving(first) as first_url, serving(second) as second_url:
        crawlers = notifier(http, [first_url, f"{second_url}/"])
        crawlers.notify()
        await crawlers.wait()
    assert len(first.requests) == len(second.requests) == 1


async def test_a_failing_crawler_is_retried_until_it_answers(http: httpx.AsyncClient) -> None:
    relay = StubRelay(failures=MAX_ATTEMPTS - 1)
    async with serving(relay) as url:
        crawlers = notifier(http, [url])
        with capture_logs() as logs:
            crawlers.notify()
            await crawlers.wait()
    assert len(relay.requests) == MAX_ATTEMPTS
    assert [entry["event"] for entry in logs] == [
        "crawl request failed; retrying",
        "crawl request failed; retrying",
        "crawler notified",
    ]
    assert [entry["retry_s"] for entry in logs[:2]] == [FAST_RETRY_S, 2 * FAST_RETRY_S]


async def test_a_crawler_that_keeps_failing_is_given_up_on(http: httpx.AsyncClient) -> None:
    relay = StubRelay(failures=MAX_ATTEMPTS)
    async with serving(relay) as url:
        crawlers = notifier(http, [url])
        with capture_logs() as logs:
            crawlers.notify()
            await crawlers.wait()
    assert len(relay.requests) == MAX_ATTEMPTS
    assert logs[-1]["event"] == "crawl request failed; giving up"
    assert (logs[-1]["log_level"], logs[-1]["attempts"], logs[-1]["error"]) == (
        "error",
        MAX_ATTEMPTS,
        "HTTP 503",
    )


async def test_an_unreachable_crawler_is_retried_then_given_up_on(
    http: httpx.AsyncClient,
) -> None:
    unused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    unused.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
    url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    try:
        crawlers = notifier(http, [url])
        with capture_logs() as logs:
            crawlers.notify()
            await crawlers.wait()
    finally:
        unused.close()
    assert [entry["event"] for entry in logs][-1] == "crawl request failed; giving up"
    assert logs[-1]["error"].startswith("ConnectError")


async def test_a_refusal_is_not_retried(http: httpx.AsyncClient) -> None:
    relay = StubRelay(failures=1, failure_status=400)
    async with serving(relay) as url:
        crawlers = notifier(http, [url])
        with capture_logs() as logs:
            crawlers.notify()
            await crawlers.wait()
    assert len(relay.requests) == 1
    assert [(entry["event"], entry["status"]) for entry in logs] == [
        ("crawler refused the crawl request", 400)
    ]


async def test_close_abandons_requests_under_way(http: httpx.AsyncClient) -> None:
    relay = StubRelay(failures=MAX_ATTEMPTS)
    async with serving(relay) as url:
        crawlers = notifier(http, [url], retry_first_delay_s=60)
        crawlers.notify()
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while not relay.requests:
                await asyncio.sleep(0.01)
        await crawlers.close()
    assert len(relay.requests) == 1
