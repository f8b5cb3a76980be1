"""Firehose fan-out benchmark of a running exprsn-pds (``make bench``).

Starts ``pds serve`` on 127.0.0.1 (SQLite, no Redis, a fresh data directory), connects
``--subscribers`` WebSocket clients to ``com.atproto.sync.subscribeRepos`` (live tail, no
cursor), then offers ``createRecord`` writes across ``--accounts`` accounts paced at
``--rate`` per second for ``--seconds`` (at most ``--in-flight`` outstanding). Each
subscriber records when every ``#commit`` arrives. Prints, over all (event, subscriber)
deliveries, the lag from the event's ``time`` (stamped when it was sequenced, in the
write's transaction) and from the moment the write was sent, as p50/p95/p99/max; events
delivered against expected; dropped subscribers; the server's peak RSS.

Bounded: the writes stop after ``--seconds``, the subscribers wait at most
``DRAIN_TIMEOUT_S`` more for the last events. Every connection goes to 127.0.0.1.

Run: .venv/bin/python bench/firehose_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
import libipld
import websockets
from pds_bench import START_TIMEOUT_S, percentile, post, prepare, serving

SUBSCRIBE = "/xrpc/com.atproto.sync.subscribeRepos"
COMMIT_MESSAGE = "#commit"
#: How long subscribers may take, after the last write's answer, to receive its event.
DRAIN_TIMEOUT_S = 15.0
#: How long after connecting the subscribers get before the first write.
WRITE_TIMEOUT_S = 60.0
SETTLE_S = 1.0


@dataclass
class Subscriber:
    """One firehose client: when each event arrived, and whether it was dropped."""

    received: dict[tuple[str, str], float] = field(default_factory=dict)
    event_times: dict[tuple[str, str], float] = field(default_factory=dict)
    dropped: str | None = None


@dataclass
class Writes:
    """When each write (by ``(did, rev)`` of its commit) was sent; failures."""

    sent: dict[tuple[str, str], float] = field(default_factory=dict)
    offered: int = 0
    failed: int = 0
    first_failure: str = ""


async def subscribe(
    url: str, subscriber: Subscriber, connected: asyncio.Event, stop: asyncio.Event
) -> None:
    """Read the live firehose until ``stop`` (or until the server drops us)."""
    ws_url = url.replace("http://", "ws://") + SUBSCRIBE
    try:
        async with websockets.connect(ws_url, max_size=None, ping_interval=None) as ws:
            connected.set()
            while not stop.is_set():
                try:
                    frame = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                arrived = time.time()
                header, body = libipld.decode_dag_cbor_multi(frame)
                if header.get("op") == -1:
                    subscriber.dropped = f"{body.get('error')}: {body.get('message')}"
                    return
                if header.get("t") != COMMIT_MESSAGE:
                    continue
                key = (body["repo"], body["rev"])
                subscriber.received[key] = arrived
                subscriber.event_times[key] = datetime.fromisoformat(body["time"]).timestamp()
    except websockets.ConnectionClosed as closed:
        subscriber.dropped = f"closed: {closed}"
    finally:
        connected.set()


async def write_paced(
    http: aiohttp.ClientSession,
    accounts: list[tuple[str, str]],
    *,
    rate: float,
    seconds: float,
    in_flight: int,
) -> tuple[Writes, float]:
    """Offer ``rate`` createRecord calls per second for ``seconds`` (none after that, even
    if the server fell behind); the time until the last one was answered."""
    writes = Writes()
    limit = asyncio.Semaphore(in_flight)
    count = int(rate * seconds)

    async def one(index: int) -> None:
        did, token = accounts[index % len(accounts)]
        try:
            sent = time.time()
            async with http.post(
                "/xrpc/com.atproto.repo.createRecord",
                headers={"Authorization": f"Bearer {token}"},
                json={"repo": did, "collection": "app.bsky.feed.post", "record": post(index)},
            ) as response:
                answer = await response.json()
            writes.sent[(did, answer["commit"]["rev"])] = sent
        except aiohttp.ClientError as error:
            writes.failed += 1
            writes.first_failure = writes.first_failure or f"{type(error).__name__}: {error}"
        finally:
            limit.release()

    started = time.monotonic()
    tasks = []
    for index in range(count):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await limit.acquire()
        if time.monotonic() - started >= seconds:
            limit.release()
            break
        writes.offered += 1
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    return writes, time.monotonic() - started


def report_lags(name: str, lags_s: list[float]) -> None:
    """p50/p95/p99/max of ``lags_s`` in milliseconds."""
    if not lags_s:
        print(f"{name:<34}no deliveries")
        return
    ms = [lag * 1000 for lag in lags_s]
    print(
        f"{name:<34}p50 {percentile(ms, 0.5):8.1f} ms   p95 {percentile(ms, 0.95):8.1f} ms"
        f"   p99 {percentile(ms, 0.99):8.1f} ms   max {max(ms):8.1f} ms"
    )


async def main(args: argparse.Namespace) -> None:
    """Start the server, subscribe, write, and print the numbers."""
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        accounts = await prepare(data, [f"fan{i}" for i in range(args.accounts)])
        async with serving(data) as (url, _pid):
            subscribers = [Subscriber() for _ in range(args.subscribers)]
            stop = asyncio.Event()
            connected = [asyncio.Event() for _ in subscribers]
            readers = [
                asyncio.create_task(subscribe(url, subscriber, ready, stop))
                for subscriber, ready in zip(subscribers, connected, strict=True)
            ]
            await asyncio.wait_for(
                asyncio.gather(*(ready.wait() for ready in connected)), START_TIMEOUT_S
            )
            await asyncio.sleep(SETTLE_S)
            async with aiohttp.ClientSession(
                url,
                connector=aiohttp.TCPConnector(limit=args.in_flight),
                timeout=aiohttp.ClientTimeout(total=WRITE_TIMEOUT_S),
                raise_for_status=True,
            ) as http:
                writes, elapsed = await write_paced(
                    http, accounts, rate=args.rate, seconds=args.seconds, in_flight=args.in_flight
                )
            deadline = time.monotonic() + DRAIN_TIMEOUT_S
            # Only these writes make commits, so a subscriber is done at one event per write.
            while time.monotonic() < deadline and any(
                s.dropped is None and len(s.received) < len(writes.sent) for s in subscribers
            ):
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.gather(*readers)
        summarise(args, subscribers, writes, elapsed)


def summarise(
    args: argparse.Namespace, subscribers: list[Subscriber], writes: Writes, elapsed: float
) -> None:
    """Print write rate, delivery lags, delivered/expected and dropped subscribers."""
    planned = int(args.rate * args.seconds)
    print(
        f"{'writes':<34}{len(writes.sent)} done in {elapsed:.1f} s ="
        f" {len(writes.sent) / elapsed:.1f}/s; paced at {args.rate:.0f}/s,"
        f" {writes.offered} of {planned} offered in time"
    )
    if writes.failed:
        print(f"{'failed writes':<34}{writes.failed} (first: {writes.first_failure})")
    from_time: list[float] = []
    from_send: list[float] = []
    delivered = 0
    for subscriber in subscribers:
        for key, arrived in subscriber.received.items():
            sent = writes.sent.get(key)
            if sent is None:
                continue
            delivered += 1
            from_send.append(arrived - sent)
            from_time.append(arrived - subscriber.event_times[key])
    expected = len(writes.sent) * len(subscribers)
    share = delivered / expected if expected else 0.0
    print(
        f"{'events delivered':<34}{delivered} of {expected} expected ({share:.2%})"
        f" to {len(subscribers)} subscribers"
    )
    report_lags("lag: event time -> receipt", from_time)
    report_lags("lag: write sent -> receipt", from_send)
    dropped = [s.dropped for s in subscribers if s.dropped is not None]
    print(f"{'dropped subscribers':<34}{len(dropped)}" + (f" ({dropped[0]})" if dropped else ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s of writes instead of 20")
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--rate", type=float, default=500.0, help="writes offered per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long writes go on")
    parser.add_argument("--in-flight", type=int, default=64, help="most outstanding writes")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.seconds = 5.0
    asyncio.run(main(arguments))
