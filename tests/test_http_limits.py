"""Request bodies on a real keep-alive connection: early answers, slow and aborted bodies.

The app is served by hypercorn as ``pds serve`` serves it; the client is h11 over a raw
socket, so the test controls exactly what is sent and when.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import h11
from structlog.testing import capture_logs

from exprsn_pds.config import Settings
from exprsn_pds.pds import Pds

Serve = Callable[..., AbstractAsyncContextManager[tuple[Pds, int]]]
UPLOAD = "/xrpc/com.atproto.repo.uploadBlob"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
HEALTH = "/xrpc/_health"
TIMEOUT_S = 10.0
READ_BYTES = 65536


class RawHttp:
    """One HTTP/1.1 connection, driven by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.protocol = h11.Connection(h11.CLIENT)

    async def start(self, method: str, target: str, length: int, content_type: str) -> None:
        headers = [("Host", "127.0.0.1"), ("Content-Type", content_type)]
        headers.append(("Content-Length", str(length)))
        self.writer.write(
            self.protocol.send(h11.Request(method=method, target=target, headers=headers))
        )
        await self.writer.drain()

    async def send_body(self, data: bytes) -> None:
        self.writer.write(self.protocol.send(h11.Data(data=data)))
        await self.writer.drain()

    async def end(self) -> None:
        self.writer.write(self.protocol.send(h11.EndOfMessage()))
        await self.writer.drain()

    async def get(self, target: str) -> None:
        request = h11.Request(method="GET", target=target, headers=[("Host", "127.0.0.1")])
        self.writer.write(self.protocol.send(request) + self.protocol.send(h11.EndOfMessage()))
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = 0, {}, b""
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                event = self.protocol.next_event()
                if event is h11.NEED_DATA:
                    self.protocol.receive_data(await self.reader.read(READ_BYTES))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                    headers = {k.decode(): v.decode() for k, v in event.headers}
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    return status, headers, body

    def next_cycle(self) -> None:
        self.protocol.start_next_cycle()

    async def closed_by_server(self) -> bool:
        async with asyncio.timeout(TIMEOUT_S):
            try:
                return await self.reader.read(READ_BYTES) == b""
            except ConnectionError:
                return True


@asynccontextmanager
async def connection(port: int) -> AsyncIterator[RawHttp]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield RawHttp(reader, writer)
    finally:
        writer.close()


async def test_an_early_answer_drains_the_body_and_keeps_the_connection(
    settings_factory: Callable[..., Settings], serve_in_process: Serve
) -> None:
    body = bytes(200_000)
    async with serve_in_process(settings_factory()) as (_pds, port), connection(port) as http:
        await http.start("POST", UPLOAD, len(body), "image/png")
        await http.send_body(body[:1000])
        status, headers, _ = await http.response()  # 401 before the body is read
        assert status == 401
        assert headers.get("connection") != "close"
        await http.send_body(body[1000:])
        await http.end()
        http.next_cycle()
        await http.get(HEALTH)
        status, _, _ = await http.response()
    assert status == 200


async def test_an_early_answer_to_a_large_body_says_connection_close(
    settings_factory: Callable[..., Settings], serve_in_process: Serve
) -> None:
    settings = settings_factory(server={"drain_max_bytes": 1000})
    async with serve_in_process(settings) as (_pds, port), connection(port) as http:
        await http.start("POST", UPLOAD, 200_000, "image/png")
        await http.send_body(bytes(100))
        status, headers, _ = await http.response()
        assert (status, headers.get("connection")) == (401, "close")
        assert await http.closed_by_server()


async def test_a_trickled_body_gets_408_and_an_access_log_line(
    settings_factory: Callable[..., Settings], serve_in_process: Serve
) -> None:
    settings = settings_factory(server={"body_timeout_s": 0.3, "body_min_rate_bytes_per_s": 1000})
    with capture_logs() as logs:
        async with serve_in_process(settings) as (_pds, port), connection(port) as http:
            await http.start("POST", CREATE_SESSION, 100_000, "application/json")
            answer = asyncio.create_task(http.response())
            while not answer.done():  # 1 KiB/s would be fine; this is 100 bytes/s
                await http.send_body(b" " * 10)
                await asyncio.sleep(0.1)
            status, headers, body = await answer
            assert await http.closed_by_server()
    assert (status, headers.get("connection")) == (408, "close")
    assert b'"RequestTimeout"' in body
    assert any(log.get("status") == 408 and log["path"] == CREATE_SESSION for log in logs)


async def test_an_aborted_request_appears_in_the_access_log(
    settings_factory: Callable[..., Settings], serve_in_process: Serve
) -> None:
    with capture_logs() as logs:
        async with serve_in_process(settings_factory()) as (_pds, port):
            async with connection(port) as http:
                await http.start("POST", CREATE_SESSION, 1000, "application/json")
                await http.send_body(b"{")
            async with asyncio.timeout(TIMEOUT_S):
                while not aborted(logs):
                    await asyncio.sleep(0.01)
    (line,) = aborted(logs)
    assert (line["method"], line["body_bytes_received"]) == ("POST", 1)


def aborted(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        log for log in logs if log["event"] == "request aborted" and log["path"] == CREATE_SESSION
    ]
