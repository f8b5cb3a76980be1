"""Benchmark of the built-in AppView (issue 10's "How it will be checked").

Builds a synthetic network on the embedded default (SQLite, no Redis) in a fresh data
directory: ``--scale 1`` is 2,000 accounts, 200,000 posts, 1,000,000 likes and 100,000
follows (``--scale 0.01`` a hundredth of each). Three phases, in process:

1. **Writes** with the ``appview`` plugin disabled: every record through
   ``pds.repo_writer.apply_writes`` (``--batch`` records per commit), the write rate.
2. **Indexing**: a server with the plugin enabled starts; its durable consumer indexes
   the whole event log: records indexed per second. Then one-record commits (what a
   ``createRecord`` writes) are timed without and with the AppView, which indexes each before
   the write returns: what indexing adds to a write's cost.
3. **Reads**: ``getProfile`` (a random actor, a random viewer), ``getProfiles`` (25
   actors), ``getFollowers``, ``listNotifications`` (40) and ``getUnreadCount`` through the
   app's test client: p50/p95/p99 of server time (no network) and CPU per call (the server's
   and the in-process test client's together).

4. **Timeline skeletons** (``feed_skeleton.timeline``, limit 50, on the index directly, no
   post views yet): a random viewer's, and the heavy viewer's (the last account, which
   follows every other account): the fan-out on read decision's numbers.

Each read line ends with the actor cache's hit rate over its calls (``pds.cache_stats``).
Last, the process's peak memory (max RSS). Logging is configured as the server's (on
stderr), the access log silenced (its warnings, e.g. an aborted request, still show): stdout
holds only the results.

Run: .venv/bin/python bench/appview_bench.py [--scale 0.01] [--batch 200] [--reads 500]
[--redis redis://127.0.0.1:6379/0] (the reading server's cache on Redis, under a fresh
key prefix that is left to expire: entries within 300 s, versions within a day)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from exprsn_pds import AnyEvent
from exprsn_pds.accounts.creation import NewAccount, create_account
from exprsn_pds.app import create_app, get_pds
from exprsn_pds.config import Settings, load_settings
from exprsn_pds.datamodel import Cid
from exprsn_pds.logs import configure_logging
from exprsn_pds.pds import Pds
from exprsn_pds.plugins.appview.actor_cache import CACHE_NAME
from exprsn_pds.plugins.appview.feed_skeleton import timeline
from exprsn_pds.plugins.appview.indexer import Indexer
from exprsn_pds.repo.writes import Action, RecordWrite

FULL: Final = {"accounts": 2_000, "posts": 200_000, "likes": 1_000_000, "follows": 100_000}
PLUGINS: Final = ["server", "repo", "sync", "blob", "identity", "session", "admin", "mailer"]
CREATED_AT: Final = "2026-01-01T00:00:00.000Z"
CONSUMER: Final = "appview.index"
ACCESS_LOGGER: Final = "exprsn_pds.access"
"""The server's one line per request (docs/administration.md): silenced, or the reads'
thousands of lines would bury the results."""
CATCH_UP_TIMEOUT_S: Final = 3_600.0
PROFILES_BATCH: Final = 25
NOTIFICATIONS_PAGE: Final = 40
TIMELINE_PAGE: Final = 50
MORE_READS: Final[tuple[tuple[str, str, str | None, dict[str, Any]], ...]] = (
    ("getFollowers", "/xrpc/app.bsky.graph.getFollowers", "actor", {}),
    (
        f"listNotifications ({NOTIFICATIONS_PAGE})",
        "/xrpc/app.bsky.notification.listNotifications",
        None,
        {"limit": NOTIFICATIONS_PAGE},
    ),
    ("getUnreadCount", "/xrpc/app.bsky.notification.getUnreadCount", None, {}),
)
"""The graph and notification reads: name, path, the parameter naming a random actor, the
fixed parameters."""


def settings(data: Path, *, appview: bool, redis_url: str | None = None) -> Settings:
    plugins = [*PLUGINS, "appview"] if appview else PLUGINS
    redis = {"url": redis_url, "key_prefix": f"appview-bench:{uuid.uuid4().hex}:"}
    return load_settings(
        environ={},
        overrides={
            "server": {"data_directory": str(data)},
            "secrets": {
                "jwt_secret": "bench-jwt-secret-" + "x" * 32,
                "admin_password": "bench-admin-password",
            },
            "plugins": {"enabled": plugins},
            "accounts": {"service_handle_domains": [".test"], "login_min_duration_s": 0},
            "identity": {"did_plc_url": ""},
            "rate_limits": {"enabled": False},
            **({"redis": redis} if redis_url else {}),
        },
    )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def write_network(
    pds: Pds, sizes: dict[str, int], batch: int
) -> tuple[list[str], int, float]:
    """Accounts, then posts, likes and follows; the DIDs, records written, seconds."""
    rng = random.Random(7)
    dids = []
    for n in range(sizes["accounts"]):
        account = await create_account(
            pds,
            NewAccount(
                handle=f"user{n}.test", email=f"user{n}@bench.test", password="bench-password-123"
            ),
        )
        dids.append(account.did)
    posts: list[tuple[str, Cid]] = []
    pending: dict[str, list[RecordWrite]] = {did: [] for did in dids}
    written = 0
    began = time.perf_counter()

    async def flush(did: str, force: bool = False) -> None:
        nonlocal written
        writes = pending[did]
        if writes and (force or len(writes) >= batch):
            result = await pds.repo_writer.apply_writes(did, writes)
            for op in result.results:
                if op.uri.split("/")[3] == "app.bsky.feed.post" and op.cid is not None:
                    posts.append((op.uri, op.cid))
            written += len(writes)
            pending[did] = []

    async def add(did: str, collection: str, record: dict[str, Any]) -> None:
        rkey = str(pds.tid_clock.next())
        pending[did].append(
            RecordWrite(Action.CREATE, collection, rkey, {"$type": collection, **record})
        )
        await flush(did)

    for n in range(sizes["posts"]):
        await add(
            dids[n % len(dids)],
            "app.bsky.feed.post",
            {"text": f"post {n}", "createdAt": CREATED_AT},
        )
    for did in dids:
        await flush(did, force=True)
    follows = set()
    while len(follows) < min(sizes["follows"], len(dids) * (len(dids) - 1)):
        follows.add((rng.choice(dids), rng.choice(dids)))
        follows = {pair for pair in follows if pair[0] != pair[1]}
    follows |= {(dids[-1], subject) for subject in dids[:-1]}  # the heavy viewer
    for did, subject in follows:
        await add(did, "app.bsky.graph.follow", {"subject": subject, "createdAt": CREATED_AT})
    for _ in range(sizes["likes"]):
        uri, cid = rng.choice(posts)
        subject = {"uri": uri, "cid": cid}
        await add(
            rng.choice(dids), "app.bsky.feed.like", {"subject": subject, "createdAt": CREATED_AT}
        )
    for did in dids:
        await flush(did, force=True)
    return dids, written, time.perf_counter() - began


async def single_writes(pds: Pds, dids: list[str], count: int) -> tuple[float, float]:
    """Wall and CPU seconds per one-record commit (a createRecord's write), over ``count``
    posts."""
    began = time.perf_counter()
    began_cpu = time.process_time()
    for n in range(count):
        record = {"$type": "app.bsky.feed.post", "text": f"single {n}", "createdAt": CREATED_AT}
        write = RecordWrite(Action.CREATE, "app.bsky.feed.post", str(pds.tid_clock.next()), record)
        await pds.repo_writer.apply_writes(dids[n % len(dids)], [write])
    return (time.perf_counter() - began) / count, (time.process_time() - began_cpu) / count


class IndexingTime:
    """Time spent in ``Indexer.apply`` from ``pds_on_event`` (the consumer holds the
    method it registered, so only the write path's calls are measured)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextlib.contextmanager
    def measured(self) -> Iterator[None]:
        original = Indexer.apply

        async def apply(indexer: Indexer, event: AnyEvent) -> None:
            began = time.perf_counter()
            try:
                await original(indexer, event)
            finally:
                self.seconds += time.perf_counter() - began

        Indexer.apply = apply  # type: ignore[method-assign]
        try:
            yield
        finally:
            Indexer.apply = original  # type: ignore[method-assign]


async def timed(client: Any, path: str, params: Any, headers: dict[str, str]) -> float:
    began = time.perf_counter()
    response = await client.get(path, query_string=params, headers=headers)
    elapsed = time.perf_counter() - began
    assert response.status_code == 200, await response.get_data()
    return elapsed


def lookups(pds: Pds) -> tuple[int, int]:
    """``(hits, misses)`` of the actor cache so far."""
    counts = pds.cache_stats.requests()
    return counts.get((CACHE_NAME, "hit"), 0), counts.get((CACHE_NAME, "miss"), 0)


def report(
    name: str, samples: list[float], cpu_s: float, cache: tuple[int, int] | None = None
) -> None:
    """One line: the calls' wall-time percentiles, the CPU time per call and the actor
    cache's hit rate over them (``cache``: hits and misses)."""
    p50, p95, p99 = (percentile(samples, f) * 1000 for f in (0.5, 0.95, 0.99))
    cpu_ms = cpu_s / len(samples) * 1000
    hits = ""
    if cache is not None and sum(cache):
        hits = f"  cache hits {100 * cache[0] / sum(cache):5.1f}% of {sum(cache)}"
    print(
        f"{name:24} n={len(samples):5}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms"
        f"  p99 {p99:7.2f} ms  CPU {cpu_ms:6.2f} ms/call{hits}"
    )


async def timelines(pds: Pds, dids: list[str], reads: int, rng: random.Random) -> None:
    """Phase 4: timeline skeletons of random viewers, then of the heavy viewer."""
    client = pds.database.client
    for name, pick in (
        ("timeline skeleton", lambda: rng.choice(dids[:-1])),
        (f"  heavy ({len(dids) - 1} follows)", lambda: dids[-1]),
    ):
        samples = []
        began_cpu = time.process_time()
        for _ in range(reads):
            began = time.perf_counter()
            await timeline(client, pick(), None, TIMELINE_PAGE)
            samples.append(time.perf_counter() - began)
        report(name, samples, time.process_time() - began_cpu)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]


def since(before: tuple[int, int], now: tuple[int, int]) -> tuple[int, int]:
    """The hits and misses between two :func:`lookups`."""
    return now[0] - before[0], now[1] - before[1]


async def main(scale: float, batch: int, reads: int, singles: int, redis_url: str | None) -> None:
    configure_logging("info")  # as the server does: stdlib logging, on stderr
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.WARNING)
    sizes = {name: max(2, int(count * scale)) for name, count in FULL.items()}
    print(f"network: {sizes}")
    with tempfile.TemporaryDirectory(prefix="appview-bench-") as folder:
        data = Path(folder)
        pds = Pds(settings(data, appview=False))
        await pds.start()
        try:
            dids, written, seconds = await write_network(pds, sizes, batch)
            await single_writes(pds, dids, singles)  # warm-up: caches, WAL
            bare, bare_cpu = await single_writes(pds, dids, singles)
        finally:
            await pds.stop()
        write_rate = written / seconds
        print(
            f"writes (no AppView):     {written} records in {seconds:.1f} s = {write_rate:,.0f}/s"
        )
        app = create_app(settings(data, appview=True, redis_url=redis_url))
        began = time.perf_counter()
        async with app.test_app() as test_app:
            pds = get_pds(app)
            async with asyncio.timeout(CATCH_UP_TIMEOUT_S):
                while (lag := await pds.consumers.lag(CONSUMER)) is None or lag.events_behind:
                    await asyncio.sleep(0.2)
            seconds = time.perf_counter() - began
            index_rate = written / seconds
            print(
                f"indexing (consumer):     {written} records in {seconds:.1f} s"
                f" = {index_rate:,.0f}/s"
            )
            await single_writes(pds, dids, singles)  # warm-up, as without
            indexing = IndexingTime()
            with indexing.measured():
                indexed, indexed_cpu = await single_writes(pds, dids, singles)
            own = indexing.seconds / singles
            print(
                f"one-record commits:      {bare * 1000:.2f} ms without the AppView,"
                f" {indexed * 1000:.2f} ms with it (indexed before the answer):"
                f" +{100 * (indexed - bare) / bare:.0f}%; of which indexing in pds_on_event"
                f" {own * 1000:.2f} ms (+{100 * own / bare:.0f}%); CPU {bare_cpu * 1000:.2f} ms"
                f" without, {indexed_cpu * 1000:.2f} ms with"
            )
            client = test_app.test_client()
            rng = random.Random(11)
            tokens = {did: (await pds.sessions.create(did)).access_jwt for did in dids[:50]}
            viewers = list(tokens)
            profile: list[float] = []
            profiles: list[float] = []
            profile_cpu = profiles_cpu = 0.0
            profile_cache = profiles_cache = (0, 0)
            for _ in range(reads):
                headers = {"Authorization": f"Bearer {tokens[rng.choice(viewers)]}"}
                began_cpu, before = time.process_time(), lookups(pds)
                profile.append(
                    await timed(
                        client,
                        "/xrpc/app.bsky.actor.getProfile",
                        {"actor": rng.choice(dids)},
                        headers,
                    )
                )
                profile_cpu += time.process_time() - began_cpu
                profile_cache = _add(profile_cache, since(before, lookups(pds)))
                actors = [
                    ("actors", did) for did in rng.sample(dids, min(PROFILES_BATCH, len(dids)))
                ]
                began_cpu, before = time.process_time(), lookups(pds)
                profiles.append(
                    await timed(client, "/xrpc/app.bsky.actor.getProfiles", actors, headers)
                )
                profiles_cpu += time.process_time() - began_cpu
                profiles_cache = _add(profiles_cache, since(before, lookups(pds)))
            report("getProfile", profile, profile_cpu, profile_cache)
            report(f"getProfiles ({PROFILES_BATCH})", profiles, profiles_cpu, profiles_cache)
            for name, path, actor_param, fixed in MORE_READS:
                params: dict[str, Any] = dict(fixed)
                samples = []
                began_cpu, before = time.process_time(), lookups(pds)
                for _ in range(reads):
                    headers = {"Authorization": f"Bearer {tokens[rng.choice(viewers)]}"}
                    if actor_param:
                        params[actor_param] = rng.choice(dids)
                    samples.append(await timed(client, path, params, headers))
                cpu = time.process_time() - began_cpu
                report(name, samples, cpu, since(before, lookups(pds)))
            await timelines(pds, dids, reads, rng)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS):   {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full network")
    parser.add_argument("--batch", type=int, default=200, help="records per commit")
    parser.add_argument("--reads", type=int, default=500, help="calls of each read method")
    parser.add_argument("--singles", type=int, default=300, help="one-record commits timed")
    parser.add_argument("--redis", default=None, help="Redis URL of the reading server's cache")
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.scale, arguments.batch, arguments.reads, arguments.singles, arguments.redis)
    )
