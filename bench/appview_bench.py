"""Benchmark of the built-in AppView (issues 10 and 11's "How it will be checked").

Builds a synthetic network on the embedded default (SQLite, no Redis; ``--database`` names
another, e.g. an empty PostgreSQL database) in a fresh data directory: ``--scale 1`` is
2,000 accounts each following 200 others (the last, the *heavy viewer*, follows every other
account), 200,000 posts of words drawn from a small vocabulary (Zipf-weighted, so search
terms range from rare to common), 20,000 replies to random posts, a 200-reply thread (four
levels of 50), 20,000 reposts and 200,000 likes (``--scale 0.01`` a hundredth of each but
the thread; ``createdAt`` ten seconds apart). Five phases, in process:

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
   post views yet): a random viewer's, and the heavy viewer's: the fan-out on read
   decision's numbers.
5. **Post reads** through the test client, as phase 3: ``getTimeline`` (50) of a random
   viewer and of the heavy viewer, ``getPostThread`` and ``getPostThreadV2`` of the
   200-reply thread, ``getAuthorFeed`` (50) of a random actor, ``searchPosts`` of a random
   vocabulary word. ``--profile DIR`` runs each under cProfile and writes ``DIR/<name>.prof``
   (the timings are then the profiler's, not the server's).

Each read line ends with the actor cache's hit rate over its calls (``pds.cache_stats``).
Last, the process's peak memory (max RSS). Logging is configured as the server's (on
stderr), the access log silenced (its warnings, e.g. an aborted request, still show): stdout
holds only the results.

``--data DIR`` builds the network in ``DIR`` and keeps it (``DIR/network.json`` names its
accounts and thread); run again with the same ``DIR`` (and ``--database``), phases 1 and 2
are skipped and the reads run on the network as it is: how an optimisation's before and
after are compared on one network.

Run: .venv/bin/python bench/appview_bench.py [--scale 0.01] [--batch 200] [--reads 500]
[--redis redis://127.0.0.1:6379/0] (the reading server's cache on Redis, under a fresh
key prefix that is left to expire: entries within 300 s, versions within a day)
[--database postgres://user:password@127.0.0.1:5432/empty] [--data DIR] [--profile DIR]
[--posts-only] (phase 5 alone, on a kept network) [--gc-freeze] (``gc.freeze()`` before the
reads, as a server could once started: generation-2 collections then skip the start-up heap)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import datetime
import gc
import itertools
import json
import logging
import random
import resource
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from exprsn_pds import AnyEvent
from exprsn_pds.accounts.creation import NewAccount, create_account
from exprsn_pds.app import create_app, get_pds
from exprsn_pds.config import Settings, load_settings
from exprsn_pds.logs import configure_logging
from exprsn_pds.pds import Pds
from exprsn_pds.plugins.appview.actor_cache import CACHE_NAME
from exprsn_pds.plugins.appview.feed_skeleton import timeline
from exprsn_pds.plugins.appview.indexer import Indexer
from exprsn_pds.repo.writes import Action, RecordWrite

FULL: Final = {
    "accounts": 2_000,
    "posts": 200_000,
    "replies": 20_000,
    "reposts": 20_000,
    "likes": 200_000,
    "follows": 400_000,
}
"""``--scale 1``; ``follows`` is 200 per account, the heavy viewer's besides."""
THREAD_REPLIES: Final = 200
THREAD_LEVELS: Final = 4
"""The thread's replies, in levels: each level's replies answer random ones of the level
above (the first level, the root)."""
WORDS: Final = 1_000
SYLLABLES: Final = tuple(c + v for c in "bdfgklmnprstvz" for v in "aeiou")
PLUGINS: Final = ["server", "repo", "sync", "blob", "identity", "session", "admin", "mailer"]
EPOCH: Final = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
NETWORK_FILE: Final = "network.json"
POST: Final = "app.bsky.feed.post"
FOLLOW: Final = "app.bsky.graph.follow"
REPOST: Final = "app.bsky.feed.repost"
LIKE: Final = "app.bsky.feed.like"
CREATED_AT: Final = "2026-01-01T00:00:00.000Z"
CONSUMER: Final = "appview.index"
ACCESS_LOGGER: Final = "exprsn_pds.access"
"""The server's one line per request (docs/administration.md): silenced, or the reads'
thousands of lines would bury the results."""
CATCH_UP_TIMEOUT_S: Final = 3_600.0
PROFILES_BATCH: Final = 25
NOTIFICATIONS_PAGE: Final = 40
TIMELINE_PAGE: Final = 50
VIEWERS: Final = 50
"""The ordinary viewers signed in (the first accounts); the heavy viewer besides."""
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


def settings(
    data: Path, *, appview: bool, redis_url: str | None = None, database_url: str | None = None
) -> Settings:
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
            **({"database": {"url": database_url}} if database_url else {}),
        },
    )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def stamp(seconds: int) -> str:
    """``createdAt`` ``seconds`` after :data:`CREATED_AT`."""
    return (EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def vocabulary(rng: random.Random) -> list[str]:
    """:data:`WORDS` distinct made-up words of two to four syllables."""
    words: set[str] = set()
    while len(words) < WORDS:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def texts(rng: random.Random, words: list[str]) -> Iterator[str]:
    """Post texts: 4 to 16 words, the ``n``-th most common word with weight ``1 / n``."""
    weights = [1 / (rank + 1) for rank in range(len(words))]
    while True:
        yield " ".join(rng.choices(words, weights, k=rng.randint(4, 16)))


@dataclass
class Network:
    """What the reads need to know of a network built: its accounts (the heavy viewer
    last), the 200-reply thread's root, the vocabulary and the records written."""

    dids: list[str]
    thread: str
    words: list[str]
    written: int

    def save(self, data: Path) -> None:
        """Write it to ``data``'s :data:`NETWORK_FILE`."""
        (data / NETWORK_FILE).write_text(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def load(cls, data: Path) -> Network | None:
        """The network kept in ``data``, if one was."""
        path = data / NETWORK_FILE
        return cls(**json.loads(path.read_text())) if path.exists() else None


class Writer:
    """Records queued per account and committed ``batch`` at a time through
    ``apply_writes``; the CIDs of the posts written."""

    def __init__(self, pds: Pds, dids: list[str], batch: int) -> None:
        self.pds = pds
        self.batch = batch
        self.pending: dict[str, list[RecordWrite]] = {did: [] for did in dids}
        self.cids: dict[str, str] = {}
        self.written = 0

    async def flush(self, did: str, force: bool = False) -> None:
        """Commit ``did``'s queue when full (or, with ``force``, when not empty)."""
        writes = self.pending[did]
        if writes and (force or len(writes) >= self.batch):
            result = await self.pds.repo_writer.apply_writes(did, writes)
            for op in result.results:
                if op.uri.split("/")[3] == POST and op.cid is not None:
                    self.cids[op.uri] = str(op.cid)
            self.written += len(writes)
            self.pending[did] = []

    async def flush_all(self) -> None:
        """Commit every queue."""
        for did in self.pending:
            await self.flush(did, force=True)

    async def add(self, did: str, collection: str, record: dict[str, Any]) -> str:
        """Queue one record; its URI."""
        rkey = str(self.pds.tid_clock.next())
        self.pending[did].append(
            RecordWrite(Action.CREATE, collection, rkey, {"$type": collection, **record})
        )
        await self.flush(did)
        return f"at://{did}/{collection}/{rkey}"

    def ref(self, uri: str) -> dict[str, str]:
        """The strong reference of a post written."""
        return {"uri": uri, "cid": self.cids[uri]}


async def write_network(pds: Pds, sizes: dict[str, int], batch: int) -> tuple[Network, float]:
    """Accounts, then posts, replies and the thread, follows, reposts and likes; the
    network and the seconds its records took."""
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
    words = vocabulary(rng)
    text = texts(rng, words)
    writer = Writer(pds, dids, batch)
    clock = itertools.count(0, 10)
    began = time.perf_counter()
    roots = []
    for n in range(sizes["posts"]):
        record: dict[str, Any] = {"text": next(text), "createdAt": stamp(next(clock))}
        roots.append(await writer.add(dids[n % len(dids)], POST, record))
    await writer.flush_all()
    thread = roots[0]
    parents = [thread]
    for depth in range(THREAD_LEVELS):  # a level's parents are written (their CIDs) first
        level = []
        for _ in range(THREAD_REPLIES // THREAD_LEVELS):
            reply = {"root": writer.ref(thread), "parent": writer.ref(rng.choice(parents))}
            record = {"text": next(text), "reply": reply, "createdAt": stamp(next(clock))}
            level.append(await writer.add(rng.choice(dids), POST, record))
        if depth == 0:  # with the first level, the network's other replies
            for _ in range(sizes["replies"]):
                parent = writer.ref(rng.choice(roots))
                record = {
                    "text": next(text),
                    "reply": {"root": parent, "parent": parent},
                    "createdAt": stamp(next(clock)),
                }
                await writer.add(rng.choice(dids), POST, record)
        await writer.flush_all()
        parents = level
    posts = list(writer.cids)
    each = min(sizes["follows"] // len(dids), len(dids) - 1)
    for did in dids[:-1]:
        for subject in rng.sample([other for other in dids if other != did], each):
            record = {"subject": subject, "createdAt": stamp(next(clock))}
            await writer.add(did, FOLLOW, record)
    for subject in dids[:-1]:  # the heavy viewer
        await writer.add(dids[-1], FOLLOW, {"subject": subject, "createdAt": stamp(next(clock))})
    for collection, count in ((REPOST, sizes["reposts"]), (LIKE, sizes["likes"])):
        for _ in range(count):
            record = {"subject": writer.ref(rng.choice(posts)), "createdAt": stamp(next(clock))}
            await writer.add(rng.choice(dids), collection, record)
    await writer.flush_all()
    network = Network(dids, thread, words, writer.written)
    return network, time.perf_counter() - began


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


@dataclass(frozen=True)
class Options:
    """The command line's choices."""

    scale: float
    batch: int
    reads: int
    singles: int
    redis_url: str | None
    database_url: str | None
    data: Path | None
    profile: Path | None
    posts_only: bool
    gc_freeze: bool


@contextlib.contextmanager
def data_directory(kept: Path | None) -> Iterator[Path]:
    """``kept`` (made if absent), or a temporary directory removed afterwards."""
    if kept is not None:
        kept.mkdir(parents=True, exist_ok=True)
        yield kept
        return
    with tempfile.TemporaryDirectory(prefix="appview-bench-") as folder:
        yield Path(folder)


async def build(data: Path, options: Options) -> tuple[Network, float, float]:
    """Phase 1: the network written without the AppView; it, and the wall and CPU seconds
    of a one-record commit."""
    sizes = {name: max(2, int(count * options.scale)) for name, count in FULL.items()}
    print(f"network: {sizes}, a {THREAD_REPLIES}-reply thread")
    pds = Pds(settings(data, appview=False, database_url=options.database_url))
    await pds.start()
    try:
        network, seconds = await write_network(pds, sizes, options.batch)
        await single_writes(pds, network.dids, options.singles)  # warm-up: caches, WAL
        bare, bare_cpu = await single_writes(pds, network.dids, options.singles)
    finally:
        await pds.stop()
    network.save(data)
    print(
        f"writes (no AppView):     {network.written} records in {seconds:.1f} s"
        f" = {network.written / seconds:,.0f}/s"
    )
    return network, bare, bare_cpu


async def indexed_commits(
    pds: Pds, dids: list[str], singles: int, bare: float, bare_cpu: float
) -> None:
    """Phase 2's second half: one-record commits with the AppView against ``bare``."""
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


async def actor_reads(
    pds: Pds, client: Any, dids: list[str], tokens: dict[str, str], reads: int, rng: random.Random
) -> None:
    """Phase 3: the profile, graph and notification reads of random viewers."""
    viewers = dids[: len(tokens) - 1]
    profile: list[float] = []
    profiles: list[float] = []
    profile_cpu = profiles_cpu = 0.0
    profile_cache = profiles_cache = (0, 0)
    for _ in range(reads):
        headers = {"Authorization": f"Bearer {tokens[rng.choice(viewers)]}"}
        began_cpu, before = time.process_time(), lookups(pds)
        profile.append(
            await timed(
                client, "/xrpc/app.bsky.actor.getProfile", {"actor": rng.choice(dids)}, headers
            )
        )
        profile_cpu += time.process_time() - began_cpu
        profile_cache = _add(profile_cache, since(before, lookups(pds)))
        actors = [("actors", did) for did in rng.sample(dids, min(PROFILES_BATCH, len(dids)))]
        began_cpu, before = time.process_time(), lookups(pds)
        profiles.append(await timed(client, "/xrpc/app.bsky.actor.getProfiles", actors, headers))
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


def post_calls(
    network: Network, rng: random.Random
) -> list[tuple[str, str, Callable[[], str], Callable[[], dict[str, Any]]]]:
    """Phase 5's calls: name, path, the viewer of a call, its parameters."""
    dids = network.dids
    ordinary = dids[:VIEWERS]
    common = network.words[: WORDS // 2]

    def anyone() -> str:
        return rng.choice(ordinary)

    return [
        (
            f"getTimeline ({TIMELINE_PAGE})",
            "/xrpc/app.bsky.feed.getTimeline",
            anyone,
            lambda: {"limit": TIMELINE_PAGE},
        ),
        (
            f"  heavy ({len(dids) - 1} follows)",
            "/xrpc/app.bsky.feed.getTimeline",
            lambda: dids[-1],
            lambda: {"limit": TIMELINE_PAGE},
        ),
        (
            f"getPostThread ({THREAD_REPLIES})",
            "/xrpc/app.bsky.feed.getPostThread",
            anyone,
            lambda: {"uri": network.thread},
        ),
        (
            "getPostThreadV2",
            "/xrpc/app.bsky.unspecced.getPostThreadV2",
            anyone,
            lambda: {"anchor": network.thread},
        ),
        (
            f"getAuthorFeed ({TIMELINE_PAGE})",
            "/xrpc/app.bsky.feed.getAuthorFeed",
            anyone,
            lambda: {"actor": rng.choice(dids), "limit": TIMELINE_PAGE},
        ),
        (
            "searchPosts",
            "/xrpc/app.bsky.feed.searchPosts",
            anyone,
            lambda: {"q": rng.choice(common)},
        ),
    ]


async def post_reads(
    pds: Pds,
    client: Any,
    network: Network,
    tokens: dict[str, str],
    options: Options,
    rng: random.Random,
) -> None:
    """Phase 5: the post reads, each ``options.reads`` times (under cProfile with
    ``options.profile``)."""
    for name, path, viewer, params in post_calls(network, rng):
        samples = []
        profiler = cProfile.Profile() if options.profile else None
        began_cpu, before = time.process_time(), lookups(pds)
        for _ in range(options.reads):
            headers = {"Authorization": f"Bearer {tokens[viewer()]}"}
            query = params()
            if profiler is not None:
                profiler.enable()
            samples.append(await timed(client, path, query, headers))
            if profiler is not None:
                profiler.disable()
        cpu = time.process_time() - began_cpu
        report(name, samples, cpu, since(before, lookups(pds)))
        if profiler is not None and options.profile is not None:
            options.profile.mkdir(parents=True, exist_ok=True)
            slug = "".join(c if c.isalnum() else "_" for c in name.strip()).strip("_")
            profiler.dump_stats(options.profile / f"{slug}.prof")


async def main(options: Options) -> None:
    configure_logging("info")  # as the server does: stdlib logging, on stderr
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.WARNING)
    with data_directory(options.data) as data:
        network = Network.load(data)
        fresh = network is None
        if network is None:
            network, bare, bare_cpu = await build(data, options)
        else:
            print(f"network: kept in {data}, {len(network.dids)} accounts")
        app = create_app(
            settings(
                data,
                appview=True,
                redis_url=options.redis_url,
                database_url=options.database_url,
            )
        )
        began = time.perf_counter()
        async with app.test_app() as test_app:
            pds = get_pds(app)
            behind = None
            async with asyncio.timeout(CATCH_UP_TIMEOUT_S):
                while (lag := await pds.consumers.lag(CONSUMER)) is None or lag.events_behind:
                    behind = behind or (lag.events_behind if lag else None)
                    await asyncio.sleep(0.2)
            if fresh or behind:  # a kept network indexed for the first time too
                seconds = time.perf_counter() - began
                print(
                    f"indexing (consumer):     {network.written} records in {seconds:.1f} s"
                    f" = {network.written / seconds:,.0f}/s"
                )
            if fresh:
                await indexed_commits(pds, network.dids, options.singles, bare, bare_cpu)
            client = test_app.test_client()
            rng = random.Random(11)
            dids = network.dids
            chosen = [*dids[:VIEWERS], dids[-1]]
            tokens = {did: (await pds.sessions.create(did)).access_jwt for did in chosen}
            if options.gc_freeze:  # the heap so far out of the collected generations
                gc.collect()
                gc.freeze()
            if not options.posts_only:
                await actor_reads(pds, client, dids, tokens, options.reads, rng)
                await timelines(pds, dids, options.reads, rng)
            await post_reads(pds, client, network, tokens, options, rng)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS):   {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full network")
    parser.add_argument("--batch", type=int, default=200, help="records per commit")
    parser.add_argument("--reads", type=int, default=500, help="calls of each read method")
    parser.add_argument("--singles", type=int, default=300, help="one-record commits timed")
    parser.add_argument("--redis", default=None, help="Redis URL of the reading server's cache")
    parser.add_argument("--database", default=None, help="database URL (default: SQLite)")
    parser.add_argument("--data", type=Path, default=None, help="data directory to keep/reuse")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile output directory")
    parser.add_argument("--posts-only", action="store_true", help="phase 5 alone")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() before the reads")
    arguments = parser.parse_args()
    asyncio.run(
        main(
            Options(
                scale=arguments.scale,
                batch=arguments.batch,
                reads=arguments.reads,
                singles=arguments.singles,
                redis_url=arguments.redis,
                database_url=arguments.database,
                data=arguments.data,
                profile=arguments.profile,
                posts_only=arguments.posts_only,
                gc_freeze=arguments.gc_freeze,
            )
        )
    )
