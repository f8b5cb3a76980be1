"""Write throughput of exprsn_pds.repo.mst on 10,000- and 100,000-key trees.

Run: .venv/bin/python bench/mst_bench.py [--ops N] [--atmst-python PATH]

For each tree size: the time to build the tree (one ``apply`` of every key), then
single-key inserts at random places, each timed alone, three ways:

- ``long-lived``: one ``Mst`` applies every op (its nodes stay in memory);
- ``commit-style``: what a PDS write does: ``Mst.load`` of the current root, ``get``
  of the key, ``apply``, and the new blocks stored in the block store;
- ``commit+cache``: the same with one shared ``NodeCache`` across the loads.

The block store is a ``dict`` (reads cost nothing); ``blocks/op`` counts the node
blocks read through it per op. With ``--atmst-python`` (an interpreter that has
``atmst`` installed, e.g. a throwaway venv: ``python -m venv /tmp/atmst-venv &&
/tmp/atmst-venv/bin/pip install atmst``), the same inserts run through atmst's
``NodeWrangler.put_record`` + ``mst_diff`` for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import time
from collections.abc import Awaitable, Callable, Collection, Sequence

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst import MemoryBlockReader, Mst, MstAction, MstOp, NodeCache

SIZES = (10_000, 100_000)
DEFAULT_OPS = 2_000
SEED = 2024
COLLECTION = "app.bsky.feed.post"
VALUE = "bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454"
PERCENTILES = (50, 95, 99)
TID_BITS = 60
NS_PER_US = 1_000
NS_PER_S = 1_000_000_000

# The same inserts through atmst, run by --atmst-python; prints one JSON line.
ATMST_SCRIPT = """
import json, sys, time
from cbrrr import CID
from atmst.blockstore import MemoryBlockStore
from atmst.mst.diff import mst_diff
from atmst.mst.node import MSTNode
from atmst.mst.node_store import NodeStore
from atmst.mst.node_wrangler import NodeWrangler
job = json.loads(sys.stdin.read())
value = CID.decode(job["value"])
store = NodeStore(MemoryBlockStore())
wrangler = NodeWrangler(store)
root = store.stored_node(MSTNode.empty_root()).cid
started = time.perf_counter()
for key in job["keys"]:
    root = wrangler.put_record(root, key, value)
build_s = time.perf_counter() - started
latencies = []
for key in job["inserts"]:
    started = time.perf_counter_ns()
    new_root = wrangler.put_record(root, key, value)
    mst_diff(store, root, new_root)
    root = new_root
    latencies.append(time.perf_counter_ns() - started)
print(json.dumps({"build_s": build_s, "latencies_ns": latencies, "root": root.encode()}))
"""


class CountingReader(MemoryBlockReader):
    """The benchmark's block store: a dict that counts the blocks read through it."""

    blocks_read = 0

    async def get_blocks(self, cids: Collection[Cid]) -> dict[Cid, bytes]:
        self.blocks_read += len(cids)
        return await super().get_blocks(cids)


def tid_keys(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct keys of one collection with random TID-like record keys."""
    keys: set[str] = set()
    while len(keys) < count:
        keys.add(f"{COLLECTION}/3{rng.getrandbits(TID_BITS):012x}")
    return rng.sample(sorted(keys), count)


def summary(name: str, latencies_ns: Sequence[int], blocks_per_op: float | None) -> str:
    """One result line: ops/s, latency percentiles, blocks read per op."""
    ordered = sorted(latencies_ns)
    ops_per_s = len(ordered) * NS_PER_S / sum(ordered)
    marks = "".join(
        f"{ordered[min(len(ordered) - 1, len(ordered) * p // 100)] / NS_PER_US:>9.0f}"
        for p in PERCENTILES
    )
    blocks = "" if blocks_per_op is None else f"{blocks_per_op:>10.1f}"
    return f"  {name:<14}{ops_per_s:>9.0f}{marks}{blocks}"


async def timed(ops: Sequence[str], one: Callable[[str], Awaitable[None]]) -> list[int]:
    """The latency of ``one(key)`` for each key, in nanoseconds."""
    latencies = []
    for key in ops:
        started = time.perf_counter_ns()
        await one(key)
        latencies.append(time.perf_counter_ns() - started)
    return latencies


async def bench_size(size: int, ops: int, atmst_python: str | None) -> None:
    """Build a ``size``-key tree, then time ``ops`` single-key inserts in each mode."""
    rng = random.Random(SEED + size)
    keys = tid_keys(size + ops, rng)
    base, inserts = keys[:size], keys[size:]
    value = Cid.parse(VALUE)
    store = CountingReader()
    started = time.perf_counter()
    built = await Mst.empty(store).apply([MstOp(MstAction.CREATE, key, value) for key in base])
    build_s = time.perf_counter() - started
    store.update(built.new_blocks)
    print(
        f"{size:,} keys: built in {build_s:.2f} s ({size / build_s:,.0f} keys/s), "
        f"{len(built.new_blocks):,} nodes"
    )
    print(f"  {'mode':<14}{'ops/s':>9}{'p50 µs':>9}{'p95 µs':>9}{'p99 µs':>9}{'blocks/op':>10}")

    tree = await Mst.load(store, built.root)
    store.blocks_read = 0

    async def long_lived(key: str) -> None:
        await tree.apply([MstOp(MstAction.CREATE, key, value)])

    latencies = await timed(inserts, long_lived)
    print(summary("long-lived", latencies, store.blocks_read / ops))

    for name, cache in (("commit-style", None), ("commit+cache", NodeCache())):
        blocks = CountingReader(store)
        root = built.root

        async def commit_style(
            key: str, blocks: CountingReader = blocks, cache: NodeCache | None = cache
        ) -> None:
            nonlocal root
            current = await Mst.load(blocks, root, cache=cache)
            await current.get(key)
            change = await current.apply([MstOp(MstAction.CREATE, key, value)])
            blocks.update(change.new_blocks)
            root = change.root

        latencies = await timed(inserts, commit_style)
        print(summary(name, latencies, blocks.blocks_read / ops))
        assert root == tree.root, "every mode must reach the same tree"

    if atmst_python is not None:
        print(atmst_line(atmst_python, base, inserts, tree.root))


def atmst_line(python: str, keys: list[str], inserts: list[str], expected: Cid) -> str:
    """The same build and inserts through atmst (in ``python``), as a result line."""
    job = json.dumps({"keys": keys, "inserts": inserts, "value": VALUE})
    result = subprocess.run(
        [python, "-c", ATMST_SCRIPT], input=job, capture_output=True, text=True, check=True
    )
    answer = json.loads(result.stdout)
    same = "same root" if answer["root"] == str(expected) else "DIFFERENT ROOT"
    line = summary("atmst", answer["latencies_ns"], None)
    return f"{line}   (put_record+mst_diff; build {answer['build_s']:.2f} s; {same})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=DEFAULT_OPS, help="inserts per mode")
    parser.add_argument("--atmst-python", help="an interpreter with atmst, for comparison")
    arguments = parser.parse_args()
    for size in SIZES:
        asyncio.run(bench_size(size, arguments.ops, arguments.atmst_python))


if __name__ == "__main__":
    main()
