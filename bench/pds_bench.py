"""End-to-end benchmark of a running exprsn-pds (``make bench``).

Starts ``pds serve`` on 127.0.0.1 (SQLite, no Redis, a fresh data directory), prepares
accounts, and drives it over HTTP with one aiohttp client session (keep-alive, at most
64 connections): a client that spends ~0.2 ms of CPU per request, where httpx spends
~1.8 ms, so on two shared cores the server, not the client, is what gets measured.
Prints ops/s, p50/p95/p99 latency, server and client CPU per operation and the server's
peak RSS.
Every loop is bounded in count and time.

Run: .venv/bin/python bench/pds_bench.py [--quick] [--workers N] [--wrap 'profiler ... --']
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from exprsn_pds.accounts.creation import NewAccount, create_account
from exprsn_pds.config import load_settings
from exprsn_pds.pds import Pds

POST = "app.bsky.feed.post"
JWT_SECRET = "bench-jwt-secret-" + "x" * 32
BENCH_PASSWORD = "bench-password-123"
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0
MAX_CONNECTIONS = 64
REPO_RECORDS = 5000
PHASES = ("create", "apply", "get", "list", "repo", "blob")


def post(n: int) -> dict[str, Any]:
    return {"$type": POST, "text": f"benchmark post {n}", "createdAt": "2024-01-01T00:00:00Z"}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class ServerCpu:
    """CPU seconds (user + system) the server process and its children have used."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.last = self.total()
        self.client_last = time.process_time()

    def total(self) -> float:
        ticks = 0
        for pid in [self.pid, *_children(self.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def lap(self) -> tuple[float, float]:
        """CPU seconds the server and this client used since the previous lap."""
        now, client_now = self.total(), time.process_time()
        used, self.last = now - self.last, now
        client_used, self.client_last = client_now - self.client_last, client_now
        return used, client_used


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def report(
    name: str,
    count: int,
    elapsed_s: float,
    latencies_s: list[float],
    cpu: ServerCpu,
    unit: str = "ops",
) -> None:
    ms = [value * 1000 for value in latencies_s]
    server_s, client_s = cpu.lap()
    per = unit.removesuffix("s") or unit
    print(
        f"{name:<34}{count / elapsed_s:>10.1f} {unit}/s   p50 {percentile(ms, 0.5):7.1f} ms"
        f"   p95 {percentile(ms, 0.95):7.1f} ms   p99 {percentile(ms, 0.99):7.1f} ms"
        f"   CPU/{per}: server {server_s * 1000 / count:6.2f} ms,"
        f" client {client_s * 1000 / count:6.2f} ms"
    )


async def run_concurrently(
    count: int, concurrency: int, action: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    next_index = iter(range(count))

    async def worker() -> None:
        for index in next_index:
            started = time.perf_counter()
            await action(index)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def prepare(data: Path, handles: list[str]) -> list[tuple[str, str]]:
    """Accounts made the way ``createAccount`` makes them; their DIDs and access tokens."""
    settings = load_settings(
        environ={"PDS_DATA_DIRECTORY": str(data), "PDS_JWT_SECRET": JWT_SECRET}
    )
    pds = Pds(settings)
    await pds.start()
    accounts = []
    try:
        for handle in handles:
            account = await create_account(
                pds,
                NewAccount(
                    handle=f"{handle}.test",
                    email=f"{handle}@bench.test",
                    password=BENCH_PASSWORD,
                ),
            )
            tokens = await pds.sessions.create(account.did)
            accounts.append((account.did, tokens.access_jwt))
    finally:
        await pds.stop()
    return accounts


@contextlib.asynccontextmanager
async def serving(
    data: Path, *, workers: int = 1, wrap: Sequence[str] = ()
) -> AsyncIterator[tuple[str, int]]:
    """``pds serve`` on a free 127.0.0.1 port over ``data``; its URL and process id.

    Prints the server's peak RSS when it stops; SIGINT lets a wrapping profiler save.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env |= {
        "PDS_PORT": str(port),
        "PDS_DATA_DIRECTORY": str(data),
        "PDS_JWT_SECRET": JWT_SECRET,
        "PDS_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [*wrap, str(Path(sys.executable).parent / "pds"), "serve", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    await http.get("/xrpc/_health")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)
        yield url, server.pid
    finally:
        print(f"{'server peak RSS':<34}{peak_rss_mb(server.pid):>10.1f} MB")
        server.send_signal(signal.SIGINT)
        server.wait(30)


def peak_rss_mb(pid: int) -> float:
    """The peak RSS of the server: the sum over its processes (workers included)."""
    total_kb = 0
    for process in [pid, *_children(pid)]:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


async def main(quick: bool, workers: int, wrap: list[str], phases: frozenset[str]) -> None:
    scale = 0.2 if quick else 1.0
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        accounts = await prepare(data, [f"bench{i}" for i in range(9)])
        async with (
            serving(data, workers=workers, wrap=wrap) as (url, pid),
            aiohttp.ClientSession(
                url,
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
                raise_for_status=True,
            ) as http,
        ):
            await bench(http, accounts, scale, ServerCpu(pid), phases)


async def bench(
    http: aiohttp.ClientSession,
    accounts: list[tuple[str, str]],
    scale: float,
    cpu: ServerCpu,
    phases: frozenset[str],
) -> None:
    writers, big = accounts[:8], accounts[8]

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def create(index: int) -> None:
        did, token = writers[index % len(writers)]
        async with http.post(
            "/xrpc/com.atproto.repo.createRecord",
            headers=auth(token),
            json={"repo": did, "collection": POST, "record": post(index)},
        ) as response:
            await response.read()

    if "create" in phases:
        count = int(2000 * scale)
        cpu.lap()
        elapsed, latencies = await run_concurrently(count, 16, create)
        report("createRecord (c16, 8 accounts)", count, elapsed, latencies, cpu)

    batches = int(10 * scale) or 1
    big_did, big_token = big

    async def apply_batch(index: int) -> None:
        writes = [
            {
                "$type": "com.atproto.repo.applyWrites#create",
                "collection": POST,
                "value": post(index * 200 + n),
            }
            for n in range(200)
        ]
        async with http.post(
            "/xrpc/com.atproto.repo.applyWrites",
            headers=auth(big_token),
            json={"repo": big_did, "writes": writes},
        ) as response:
            await response.read()

    if "apply" in phases:
        cpu.lap()
        elapsed, latencies = await run_concurrently(batches, 1, apply_batch)
        report("applyWrites (batches of 200)", batches * 200, elapsed, latencies, cpu, "records")
        total_big = batches * 200
    else:
        total_big = 0
    if not phases & {"get", "list", "repo"}:
        return
    while total_big < REPO_RECORDS * scale:
        await apply_batch(total_big // 200)
        total_big += 200
    async with http.get(
        "/xrpc/com.atproto.repo.listRecords",
        params={"repo": big_did, "collection": POST, "limit": 100},
    ) as listed:
        rkeys = [r["uri"].rsplit("/", 1)[1] for r in (await listed.json())["records"]]

    async def get_record(index: int) -> None:
        async with http.get(
            "/xrpc/com.atproto.repo.getRecord",
            params={"repo": big_did, "collection": POST, "rkey": rkeys[index % len(rkeys)]},
        ) as response:
            await response.read()

    if "get" in phases:
        count = int(3000 * scale)
        cpu.lap()
        elapsed, latencies = await run_concurrently(count, 32, get_record)
        report("getRecord (c32)", count, elapsed, latencies, cpu)

    async def list_page(index: int) -> None:
        async with http.get(
            "/xrpc/com.atproto.repo.listRecords",
            params={"repo": big_did, "collection": POST, "limit": 100},
        ) as response:
            await response.read()

    if "list" in phases:
        count = int(300 * scale)
        cpu.lap()
        elapsed, latencies = await run_concurrently(count, 4, list_page)
        report("listRecords (pages of 100)", count, elapsed, latencies, cpu, "pages")

    async def get_repo(index: int) -> None:
        async with http.get("/xrpc/com.atproto.sync.getRepo", params={"did": big_did}) as response:
            await response.read()

    if "repo" in phases:
        count = 5
        cpu.lap()
        elapsed, latencies = await run_concurrently(count, 1, get_repo)
        report(f"getRepo ({total_big}-record repo)", count, elapsed, latencies, cpu, "repos")

    blob = os.urandom(1_000_000)

    async def upload(index: int) -> None:
        async with http.post(
            "/xrpc/com.atproto.repo.uploadBlob",
            data=blob,
            headers={**auth(writers[0][1]), "Content-Type": "image/png"},
        ) as response:
            await response.read()

    if "blob" in phases:
        count = int(50 * scale) or 1
        cpu.lap()
        elapsed, latencies = await run_concurrently(count, 4, upload)
        report("uploadBlob (1 MB, c4)", count, elapsed, latencies, cpu, "MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fifth of the operations")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--wrap", default="", help="command to run the server under, e.g. a profiler"
    )
    parser.add_argument(
        "--only",
        default=",".join(PHASES),
        help=f"comma-separated phases to run (default: all of {','.join(PHASES)})",
    )
    arguments = parser.parse_args()
    chosen = frozenset(arguments.only.split(","))
    if unknown := chosen - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    asyncio.run(main(arguments.quick, arguments.workers, shlex.split(arguments.wrap), chosen))
