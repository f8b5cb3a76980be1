"""The MST against the interop vectors (``../shared/interop/SOURCE.md``) and the official
``@atproto/repo`` implementation.

- ``mst/key_heights.json``, ``mst/common_prefix.json``: heights and shared prefixes;
- ``mst/example_keys.txt``: the digit after the letter is the key's height;
- ``firehose/commit-proof-fixtures.json``: roots before and after a commit, the
  reference covering proof within ours, and the ops inverted in every order on a
  proof-only block store giving back the root before;
- random trees built by ``@atproto/repo`` (``tests/interop/node_modules``; skipped
  without it, failed in CI) have our root CIDs, and its covering proofs are within ours.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst import (
    MemoryBlockReader,
    Mst,
    MstAction,
    MstChange,
    MstOp,
    common_prefix_length,
    key_height,
)

INTEROP_FOLDER = Path(os.environ["PDS_SHARED_DIR"]) / "interop"
MST_FOLDER = INTEROP_FOLDER / "mst"
PROOF_FIXTURES = INTEROP_FOLDER / "firehose" / "commit-proof-fixtures.json"
NODE_PACKAGES = Path(__file__).resolve().parent / "interop"
NODE_TIMEOUT_S = 120
ORACLE_SEEDS = (1, 2, 3)
ORACLE_KEYS = 400
ORACLE_EDITS = 25
ORACLE_VALUE = "bafyreie5cvv4h45feadgeuwhbcutmh6t2ceseocckahdoe6uat64zmz454"

# Builds a tree with the official implementation: ``keys``, then ``adds`` and ``dels``;
# prints the two roots and the union of the covering proofs of the edited keys.
ORACLE_SCRIPT = """
import { readFileSync } from 'node:fs'
import { MST, MemoryBlockstore } from '@atproto/repo'
import { parseCid } from '@atproto/lex-data'
const input = JSON.parse(readFileSync(0, 'utf8'))
const value = parseCid(input.value)
let mst = await MST.create(new MemoryBlockstore(), [])
for (const key of input.keys) mst = await mst.add(key, value)
const before = (await mst.getPointer()).toString()
for (const key of input.adds) mst = await mst.add(key, value)
for (const key of input.dels) mst = await mst.delete(key)
const after = (await mst.getPointer()).toString()
const proof = new Set()
for (const key of [...input.adds, ...input.dels]) {
  for (const cid of (await mst.getCoveringProof(key)).cids()) proof.add(cid.toString())
}
console.log(JSON.stringify({ before, after, proof: [...proof] }))
"""


def load_json(path: Path) -> list[dict[str, Any]]:
    """The entries of one vector file."""
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    assert entries, f"{path.name} has no entries"
    return entries


def example_keys() -> list[str]:
    """The keys of ``example_keys.txt`` (the SOURCE.md rule for ``.txt`` files)."""
    lines = (MST_FOLDER / "example_keys.txt").read_text(encoding="utf-8").split("\n")
    keys = [line.removesuffix("\r") for line in lines]
    return [key for key in keys if key and not key.startswith("#")]


def proof_cases() -> list[Any]:
    """One case per commit-proof fixture, named by its comment."""
    return [pytest.param(entry, id=entry["comment"]) for entry in load_json(PROOF_FIXTURES)]


async def build(keys: list[str], value: Cid) -> tuple[MemoryBlockReader, Cid]:
    """A block store holding the tree of ``keys`` (all mapped to ``value``), and its root."""
    reader = MemoryBlockReader()
    change = await Mst.empty(reader).apply([MstOp(MstAction.CREATE, key, value) for key in keys])
    reader.update(change.new_blocks)
    return reader, change.root


async def commit(
    keys: list[str], adds: list[str], dels: list[str], value: Cid
) -> tuple[Cid, MstChange]:
    """Build ``keys``, then apply ``adds`` and ``dels`` as one change; the root before
    and the change."""
    reader, before = await build(keys, value)
    ops = [MstOp(MstAction.CREATE, key, value) for key in adds]
    ops += [MstOp(MstAction.DELETE, key) for key in dels]
    change = await (await Mst.load(reader, before)).apply(ops)
    return before, change


def inverse_ops(adds: list[str], dels: list[str], value: Cid) -> list[MstOp]:
    """The ops that undo creating ``adds`` and deleting ``dels``."""
    return [MstOp(MstAction.DELETE, key) for key in adds] + [
        MstOp(MstAction.CREATE, key, value) for key in dels
    ]


async def invert_one_by_one(change: MstChange, ops: tuple[MstOp, ...]) -> Cid:
    """The root after applying ``ops`` one at a time on a store of only the proof."""
    reader = MemoryBlockReader({**change.proof_blocks, **change.new_blocks})
    tree = await Mst.load(reader, change.root)
    for op in ops:
        await tree.apply([op])
    return tree.root


@pytest.mark.parametrize(
    "entry",
    [pytest.param(e, id=repr(e["key"])) for e in load_json(MST_FOLDER / "key_heights.json")],
)
def test_key_height_matches_vector(entry: dict[str, Any]) -> None:
    assert key_height(entry["key"]) == entry["height"]


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(e, id=f"{e['left']!r}-{e['right']!r}")
        for e in load_json(MST_FOLDER / "common_prefix.json")
    ],
)
def test_common_prefix_length_matches_vector(entry: dict[str, Any]) -> None:
    assert common_prefix_length(entry["left"], entry["right"]) == entry["len"]


@pytest.mark.parametrize("key", example_keys())
def test_example_key_height_is_the_digit_after_its_letter(key: str) -> None:
    assert key_height(key) == int(key[1])


@pytest.mark.parametrize("entry", proof_cases())
async def test_fixture_roots_before_and_after_the_commit(entry: dict[str, Any]) -> None:
    before, change = await commit(
        entry["keys"], entry["adds"], entry["dels"], Cid.parse(entry["leafValue"])
    )
    assert str(before) == entry["rootBeforeCommit"]
    assert str(change.root) == entry["rootAfterCommit"]


@pytest.mark.parametrize("entry", proof_cases())
async def test_fixture_reference_proof_is_within_ours(entry: dict[str, Any]) -> None:
    _, change = await commit(
        entry["keys"], entry["adds"], entry["dels"], Cid.parse(entry["leafValue"])
    )
    ours = {**change.proof_blocks, **change.new_blocks}
    assert {Cid.parse(text) for text in entry["blocksInProof"]} <= set(ours)


@pytest.mark.parametrize("entry", proof_cases())
async def test_fixture_ops_invert_in_every_order_on_the_proof_alone(
    entry: dict[str, Any],
) -> None:
    value = Cid.parse(entry["leafValue"])
    _, change = await commit(entry["keys"], entry["adds"], entry["dels"], value)
    inverse = inverse_ops(entry["adds"], entry["dels"], value)
    for order in itertools.permutations(inverse):
        assert str(await invert_one_by_one(change, order)) == entry["rootBeforeCommit"]


@pytest.mark.parametrize("entry", proof_cases())
async def test_fixture_ops_invert_as_one_batch_on_the_proof_alone(
    entry: dict[str, Any],
) -> None:
    value = Cid.parse(entry["leafValue"])
    _, change = await commit(entry["keys"], entry["adds"], entry["dels"], value)
    reader = MemoryBlockReader({**change.proof_blocks, **change.new_blocks})
    undone = await (await Mst.load(reader, change.root)).apply(
        inverse_ops(entry["adds"], entry["dels"], value)
    )
    assert str(undone.root) == entry["rootBeforeCommit"]


def oracle_case(seed: int) -> dict[str, Any]:
    """A random tree and commit: keys across collections, some added, some deleted."""
    rng = random.Random(seed)
    collections = ["app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow"]
    keys = sorted(
        {f"{rng.choice(collections)}/3k{rng.getrandbits(50):011x}" for _ in range(ORACLE_KEYS)}
    )
    rng.shuffle(keys)
    adds = [f"{rng.choice(collections)}/3m{rng.getrandbits(50):011x}" for _ in range(ORACLE_EDITS)]
    return {"keys": keys, "adds": adds, "dels": rng.sample(keys, ORACLE_EDITS)}


def run_oracle(case: dict[str, Any]) -> dict[str, Any]:
    """What ``@atproto/repo`` makes of ``case`` (see :data:`ORACLE_SCRIPT`)."""
    result = subprocess.run(
        ["node", "--input-type=module", "-e", ORACLE_SCRIPT],
        input=json.dumps({**case, "value": ORACLE_VALUE}),
        cwd=NODE_PACKAGES, capture_output=True, text=True, timeout=NODE_TIMEOUT_S, check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.mark.usefixtures("interop_node")
@pytest.mark.parametrize("seed", ORACLE_SEEDS)
async def test_random_commit_matches_the_official_implementation(seed: int) -> None:
    case = oracle_case(seed)
    reference = await asyncio.to_thread(run_oracle, case)
    before, change = await commit(
        case["keys"], case["adds"], case["dels"], Cid.parse(ORACLE_VALUE)
    )
    assert str(before) == reference["before"]
    assert str(change.root) == reference["after"]
    ours = {**change.proof_blocks, **change.new_blocks}
    assert {Cid.parse(text) for text in reference["proof"]} <= set(ours)
