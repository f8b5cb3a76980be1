"""How the repository MST behaves: shape, edits, changes, proofs, reads and lazy loading."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection, Iterable
from typing import Any

import pytest

from exprsn_pds.datamodel import Cid, decode, encode
from exprsn_pds.repo.mst import (
    KEY_MAX_BYTES,
    InvalidKey,
    KeyExists,
    KeyNotFound,
    MalformedNode,
    MemoryBlockReader,
    MissingBlock,
    Mst,
    MstAction,
    MstChange,
    MstError,
    MstOp,
    NodeCache,
    check_key,
    key_height,
)

#: CID of ``{"e": [], "l": null}``, the node of an empty tree.
EMPTY_ROOT = Cid.parse("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm")
POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
ORDER_KEYS = 500
ORDERS = 4
BIG_TREE_KEYS = 10_000
SINGLE_INSERT_MAX_BLOCKS = 50
BATCH_OPS = 100
INVERSION_SEEDS = range(8)
INVERSION_TREE_KEYS = 300
INVERSION_BATCH_OPS = 12


def value_of(key: str, version: int = 0) -> Cid:
    """A distinct record CID per key (and version)."""
    return Cid.for_dag_cbor(encode({"key": key, "version": version}))


def random_keys(count: int, seed: int, collection: str = POST) -> list[str]:
    """``count`` distinct TID-like keys of ``collection``, in random order."""
    rng = random.Random(seed)
    keys = {f"{collection}/3k{rng.getrandbits(55):011x}" for _ in range(count * 2)}
    return rng.sample(sorted(keys), count)


def creates(keys: Iterable[str]) -> list[MstOp]:
    """A create op per key, each with its own value."""
    return [MstOp(MstAction.CREATE, key, value_of(key)) for key in keys]


async def build(keys: Iterable[str]) -> tuple[MemoryBlockReader, Cid]:
    """A block store holding exactly the tree of ``keys``, and its root."""
    reader = MemoryBlockReader()
    change = await Mst.empty(reader).apply(creates(keys))
    reader.update(change.new_blocks)
    return reader, change.root


async def entries(tree: Mst, **bounds: Any) -> list[tuple[str, Cid]]:
    """What ``tree.walk(**bounds)`` yields."""
    return [entry async for entry in tree.walk(**bounds)]


async def node_blocks(tree: Mst) -> dict[Cid, bytes]:
    """What ``tree.all_blocks()`` yields."""
    return {cid: block async for cid, block in tree.all_blocks()}


class CountingReader(MemoryBlockReader):
    """A dict block store that counts the requests and blocks read through it."""

    requests = 0
    blocks_read = 0

    async def get_blocks(self, cids: Collection[Cid]) -> dict[Cid, bytes]:
        self.requests += 1
        self.blocks_read += len(cids)
        return await super().get_blocks(cids)


@pytest.fixture(scope="module")
def big_tree() -> tuple[dict[Cid, bytes], Cid]:
    """The blocks and root of a 10,000-key tree (built once for the module)."""
    reader, root = asyncio.run(build(random_keys(BIG_TREE_KEYS, seed=10)))
    return dict(reader), root


# --- Shape ------------------------------------------------------------------------------


def test_empty_tree_root_is_the_empty_node_cid() -> None:
    assert Mst.empty(MemoryBlockReader()).root == EMPTY_ROOT
    assert Cid.for_dag_cbor(encode({"e": [], "l": None})) == EMPTY_ROOT


async def test_first_apply_of_a_new_tree_returns_the_empty_node_as_new() -> None:
    change = await Mst.empty(MemoryBlockReader()).apply([])
    assert change.root == EMPTY_ROOT
    assert change.new_blocks == {EMPTY_ROOT: encode({"e": [], "l": None})}
    assert change.removed == set()


async def test_same_keys_in_any_order_give_the_same_root() -> None:
    keys = random_keys(ORDER_KEYS, seed=1)
    _, expected = await build(keys)
    rng = random.Random(2)
    for _ in range(ORDERS):
        order = rng.sample(keys, len(keys))
        tree = Mst.empty(MemoryBlockReader())
        for op in creates(order):
            await tree.apply([op])
        assert tree.root == expected


async def test_deleting_every_key_returns_to_the_empty_root() -> None:
    keys = random_keys(ORDER_KEYS, seed=3)
    reader, root = await build(keys)
    tree = await Mst.load(reader, root)
    for key in random.Random(4).sample(keys, len(keys)):
        await tree.apply([MstOp(MstAction.DELETE, key)])
    assert tree.root == EMPTY_ROOT


async def test_tree_with_keys_of_many_heights_has_the_same_root_as_built_in_one_batch() -> None:
    keys = random_keys(200, seed=5) + random_keys(200, seed=6, collection=LIKE)
    tall = [key for key in keys if key_height(key) >= 2]
    assert tall, "the sample should hold keys above layer 1"
    _, expected = await build(keys)
    tree = Mst.empty(MemoryBlockReader())
    for op in creates(sorted(keys, reverse=True)):
        await tree.apply([op])
    assert tree.root == expected


# --- Changes ----------------------------------------------------------------------------


async def test_new_and_removed_blocks_track_the_stored_tree_exactly() -> None:
    rng = random.Random(7)
    present: dict[str, int] = {}
    store = MemoryBlockReader()
    first = await Mst.empty(store).apply([])
    store.update(first.new_blocks)
    root = first.root
    for round_number in range(30):
        tree = await Mst.load(MemoryBlockReader(store), root)
        ops = random_ops(rng, present, round_number, count=rng.randint(1, 15))
        change = await tree.apply(ops)
        assert not set(change.new_blocks) & set(store), "new blocks must be new"
        assert change.removed <= set(store), "removed blocks must have been stored"
        store.update(change.new_blocks)
        for cid in change.removed:
            del store[cid]
        root = change.root
        assert set(await node_blocks(tree)) == set(store)


def random_ops(
    rng: random.Random, present: dict[str, int], version: int, count: int
) -> list[MstOp]:
    """Random creates, updates and deletes of distinct keys; ``present`` is kept current."""
    ops: dict[str, MstOp] = {}
    for _ in range(count):
        if present and rng.random() < 0.5:
            key = rng.choice(sorted(present))
            if key in ops:
                continue
            if rng.random() < 0.5:
                ops[key] = MstOp(MstAction.DELETE, key)
                del present[key]
            else:
                ops[key] = MstOp(MstAction.UPDATE, key, value_of(key, version + 1))
                present[key] = version + 1
        else:
            collection = rng.choice((POST, LIKE))
            key = f"{collection}/3k{rng.getrandbits(55):011x}"
            ops[key] = MstOp(MstAction.CREATE, key, value_of(key, version))
            present[key] = version
    return list(ops.values())


async def test_get_finds_applied_values_and_misses_absent_keys() -> None:
    keys = random_keys(300, seed=8)
    reader, root = await build(keys)
    tree = await Mst.load(reader, root)
    for key in keys[:50]:
        assert await tree.get(key) == value_of(key)
    assert await tree.get(f"{POST}/absent") is None
    assert await tree.get(f"{LIKE}/{keys[0].split('/')[1]}") is None


async def test_get_sees_the_tree_after_apply() -> None:
    reader, root = await build(random_keys(100, seed=9))
    tree = await Mst.load(reader, root)
    key = f"{POST}/3zzzzzzzzzzzz"
    await tree.apply([MstOp(MstAction.CREATE, key, value_of(key))])
    assert await tree.get(key) == value_of(key)
    await tree.apply([MstOp(MstAction.DELETE, key)])
    assert await tree.get(key) is None


async def test_prev_values_report_each_keys_value_before_the_change() -> None:
    old, gone = f"{POST}/3kaaaaaaaaaaa", f"{POST}/3kbbbbbbbbbbb"
    new = f"{POST}/3kccccccccccc"
    reader, root = await build([old, gone])
    change = await (await Mst.load(reader, root)).apply(
        [
            MstOp(MstAction.UPDATE, old, value_of(old, 1)),
            MstOp(MstAction.DELETE, gone),
            MstOp(MstAction.CREATE, new, value_of(new)),
        ]
    )
    assert change.prev_values == {old: value_of(old), gone: value_of(gone), new: None}


async def test_update_to_the_same_value_changes_nothing() -> None:
    key = f"{POST}/3kaaaaaaaaaaa"
    reader, root = await build([key, f"{POST}/3kbbbbbbbbbbb"])
    change = await (await Mst.load(reader, root)).apply(
        [MstOp(MstAction.UPDATE, key, value_of(key))]
    )
    assert (change.root, change.new_blocks, change.removed) == (root, {}, set())


async def test_tree_keeps_the_nodes_it_made_without_the_caller_storing_them() -> None:
    tree = Mst.empty(MemoryBlockReader())
    keys = random_keys(200, seed=11)
    for op in creates(keys):
        await tree.apply([op])
    assert [key for key, _ in await entries(tree)] == sorted(keys)


# --- Refused edits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "error"),
    [
        pytest.param(MstOp(MstAction.CREATE, f"{POST}/3kaaaaaaaaaaa", Cid.for_dag_cbor(b"\xa0")),
                     KeyExists, id="create-existing"),
        pytest.param(MstOp(MstAction.UPDATE, f"{POST}/3kzzzzzzzzzzz", Cid.for_dag_cbor(b"\xa0")),
                     KeyNotFound, id="update-missing"),
        pytest.param(MstOp(MstAction.DELETE, f"{POST}/3kzzzzzzzzzzz"), KeyNotFound,
                     id="delete-missing"),
        pytest.param(MstOp(MstAction.DELETE, f"{LIKE}/3kaaaaaaaaaaa"), KeyNotFound,
                     id="delete-other-collection"),
    ],
)
async def test_impossible_edit_is_refused_and_leaves_the_tree_unchanged(
    op: MstOp, error: type[Exception]
) -> None:
    reader, root = await build([*random_keys(50, seed=12), f"{POST}/3kaaaaaaaaaaa"])
    tree = await Mst.load(reader, root)
    fine = MstOp(MstAction.CREATE, f"{POST}/3kmmmmmmmmmmm", value_of("m"))
    with pytest.raises(error, match="3k"):
        await tree.apply([fine, op])
    assert tree.root == root
    assert await tree.get(fine.key) is None


async def test_a_key_edited_twice_in_one_change_is_refused() -> None:
    key = f"{POST}/3kaaaaaaaaaaa"
    with pytest.raises(MstError, match="two ops"):
        await Mst.empty(MemoryBlockReader()).apply(
            [MstOp(MstAction.CREATE, key, value_of(key)), MstOp(MstAction.DELETE, key)]
        )


@pytest.mark.parametrize(
    "key",
    [
        "",
        "app.bsky.feed.post",
        "app.bsky.feed.post/",
        "/3kaaaaaaaaaaa",
        "app.bsky.feed.post/a/b",
        "app.bsky.feed.post/.",
        "app.bsky.feed.post/..",
        "../3kaaaaaaaaaaa",
        "app.bsky.feed.post/has space",
        "app.bsky.feed.post/ünïcode",
        "app_bsky/3kaaaaaaaaaaa",
        "app.bsky.feed.post/" + "a" * 513,
        "a" * (KEY_MAX_BYTES - 3) + "/abc",
    ],
)
async def test_invalid_key_is_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        await Mst.empty(MemoryBlockReader()).apply([MstOp(MstAction.CREATE, key, value_of(key))])


@pytest.mark.parametrize(
    "key",
    [
        "app.bsky.feed.post/3kaaaaaaaaaaa",
        "com.example.thing/self",
        "A0/374913",
        "a-b.c/x:y~z_w.v-u",
        "a" * (KEY_MAX_BYTES - 4) + "/abc",
    ],
)
def test_repo_path_shaped_key_is_valid(key: str) -> None:
    assert check_key(key) == key.encode()


def test_op_takes_a_value_exactly_when_it_is_not_a_delete() -> None:
    value = value_of("x")
    with pytest.raises(MstError):
        MstOp(MstAction.DELETE, f"{POST}/x", value)
    with pytest.raises(MstError):
        MstOp(MstAction.CREATE, f"{POST}/x")
    with pytest.raises(MstError, match="unknown"):
        MstOp("upsert", f"{POST}/x", value)
    assert MstOp("update", f"{POST}/x", value).action == MstAction.UPDATE


# --- Reading ----------------------------------------------------------------------------


async def test_walk_yields_every_entry_in_key_order() -> None:
    keys = random_keys(300, seed=13) + random_keys(100, seed=14, collection=LIKE)
    reader, root = await build(keys)
    tree = await Mst.load(reader, root)
    assert await entries(tree) == [(key, value_of(key)) for key in sorted(keys)]


async def test_walk_after_starts_past_that_key() -> None:
    keys = sorted(random_keys(300, seed=15))
    reader, root = await build(keys)
    tree = await Mst.load(reader, root)
    assert [key for key, _ in await entries(tree, after=keys[100])] == keys[101:]
    assert [key for key, _ in await entries(tree, after=keys[100] + "0")] == keys[101:]


async def test_walk_prefix_yields_only_matching_keys() -> None:
    posts, likes = random_keys(150, seed=16), random_keys(150, seed=17, collection=LIKE)
    reader, root = await build(posts + likes)
    tree = await Mst.load(reader, root)
    assert [key for key, _ in await entries(tree, prefix=f"{POST}/")] == sorted(posts)
    after = sorted(likes)[49]
    walked = await entries(tree, prefix=f"{LIKE}/", after=after)
    assert [key for key, _ in walked] == sorted(likes)[50:]
    assert await entries(tree, prefix="app.bsky.graph.follow/") == []


async def test_walk_of_an_empty_tree_yields_nothing() -> None:
    assert await entries(Mst.empty(MemoryBlockReader())) == []


async def test_inclusion_proof_proves_the_value_on_its_own() -> None:
    keys = random_keys(500, seed=18)
    reader, root = await build(keys)
    proof = await (await Mst.load(reader, root)).proof_for(keys[7])
    verifier = await Mst.load(MemoryBlockReader(proof), root)
    assert await verifier.get(keys[7]) == value_of(keys[7])


async def test_exclusion_proof_proves_the_absence_on_its_own() -> None:
    reader, root = await build(random_keys(500, seed=19))
    absent = f"{POST}/3kzzzzzzzzzzz"
    proof = await (await Mst.load(reader, root)).proof_for(absent)
    verifier = await Mst.load(MemoryBlockReader(proof), root)
    assert await verifier.get(absent) is None


async def test_all_blocks_are_exactly_the_nodes_of_the_tree() -> None:
    reader, root = await build(random_keys(400, seed=20))
    blocks = await node_blocks(await Mst.load(reader, root))
    assert blocks == dict(reader)
    assert all(Cid.for_dag_cbor(block) == cid for cid, block in blocks.items())


# --- Lazy loading -----------------------------------------------------------------------


async def test_single_insert_into_a_big_tree_reads_only_its_path(
    big_tree: tuple[dict[Cid, bytes], Cid],
) -> None:
    blocks, root = big_tree
    reader = CountingReader(blocks)
    tree = await Mst.load(reader, root)
    key = f"{POST}/3kmmmmmmmmmmm"
    assert await tree.get(key) is None
    await tree.apply([MstOp(MstAction.CREATE, key, value_of(key))])
    assert reader.blocks_read < SINGLE_INSERT_MAX_BLOCKS
    assert reader.blocks_read < len(blocks) / 100


async def test_a_batch_reads_each_layer_in_one_request(
    big_tree: tuple[dict[Cid, bytes], Cid],
) -> None:
    blocks, root = big_tree
    stored = [key for key, _ in await entries(await Mst.load(MemoryBlockReader(blocks), root))]
    ops = creates(random_keys(BATCH_OPS, seed=21, collection=LIKE))
    ops += [MstOp(MstAction.DELETE, key) for key in stored[:: len(stored) // BATCH_OPS]]
    reader = CountingReader(blocks)
    await (await Mst.load(reader, root)).apply(ops)
    assert reader.blocks_read > BATCH_OPS
    assert reader.requests <= 2 * tree_depth(blocks, root)


def tree_depth(blocks: dict[Cid, bytes], root: Cid) -> int:
    """The number of layers of a stored tree (by following left links)."""
    depth, link = 0, root
    while link is not None:
        depth += 1
        node = decode(blocks[link])
        link = node["l"] or (node["e"][0]["t"] if node["e"] else None)
    return depth


async def test_shared_node_cache_spares_reading_the_same_nodes_again(
    big_tree: tuple[dict[Cid, bytes], Cid],
) -> None:
    blocks, root = big_tree
    cache = NodeCache()
    store = CountingReader(blocks)
    first = await (await Mst.load(store, root, cache=cache)).apply(
        creates([f"{POST}/3kmmmmmmmmmmm"])
    )
    store.update(first.new_blocks)
    read_by_first = store.blocks_read
    second = await Mst.load(store, first.root, cache=cache)
    await second.apply(creates([f"{POST}/3kmmmmmmmmmmn"]))
    assert read_by_first > 0
    assert store.blocks_read == read_by_first


def test_node_cache_drops_the_least_recently_used_beyond_its_bound() -> None:
    async def fill() -> NodeCache:
        cache = NodeCache(max_nodes=3)
        reader, root = await build(random_keys(200, seed=22))
        tree = await Mst.load(reader, root, cache=cache)
        await entries(tree)
        await tree.apply(creates(random_keys(20, seed=23, collection=LIKE)))
        return cache

    assert len(asyncio.run(fill())) == 3


# --- Broken stores ----------------------------------------------------------------------


async def test_missing_block_names_its_cid() -> None:
    reader, root = await build(random_keys(300, seed=24))
    tree = await Mst.load(reader, root)
    child = next(cid for cid in reader if cid != root)
    del reader[child]
    with pytest.raises(MissingBlock) as raised:
        await entries(tree)
    assert raised.value.cid == child
    assert str(child) in str(raised.value)


async def test_block_that_does_not_hash_to_its_cid_is_refused() -> None:
    reader, root = await build(random_keys(10, seed=25))
    reader[root] = encode({"e": [], "l": None})
    with pytest.raises(MalformedNode, match="hash"):
        await Mst.load(reader, root)


def node_block(entries: list[dict[str, Any]], left: Cid | None = None) -> bytes:
    """A node block as the general encoder writes it."""
    return encode({"e": entries, "l": left})


def entry(prefix: int, suffix: bytes, right: Cid | None = None) -> dict[str, Any]:
    """One node entry."""
    return {"p": prefix, "k": suffix, "v": value_of(suffix.decode()), "t": right}


LAYER0 = [key for key in random_keys(60, seed=26) if key_height(key) == 0][:2]


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(encode({"e": [], "l": None, "x": 1}), id="extra-field"),
        pytest.param(encode({"e": [{"p": 0, "k": b"a/b", "v": value_of("a")}], "l": None}),
                     id="entry-without-t"),
        pytest.param(node_block([entry(0, LAYER0[1].encode()), entry(0, LAYER0[0].encode())]),
                     id="keys-out-of-order"),
        pytest.param(node_block([entry(0, LAYER0[0].encode()), entry(0, LAYER0[1].encode())]),
                     id="prefix-not-compressed"),
        pytest.param(node_block([entry(0, LAYER0[0].encode())], left=EMPTY_ROOT),
                     id="link-below-layer-0"),
        pytest.param(node_block([], left=EMPTY_ROOT), id="root-with-only-a-subtree"),
        pytest.param(encode({"e": [{"p": 0, "k": "a/b", "v": value_of("a"), "t": None}],
                             "l": None}), id="key-not-bytes"),
        pytest.param(b"\xa2\x61e\x80\x61l", id="truncated"),
    ],
)
async def test_malformed_node_is_refused(block: bytes) -> None:
    cid = Cid.for_dag_cbor(block)
    with pytest.raises(MalformedNode):
        await Mst.load(MemoryBlockReader({cid: block}), cid)


async def test_node_in_the_wrong_layer_is_refused() -> None:
    low = next(key for key in random_keys(60, seed=27, collection=LIKE) if key_height(key) == 0)
    high = next(key for key in random_keys(200, seed=27) if key_height(key) == 2)
    leaf = node_block([entry(0, low.encode())])
    top = node_block([entry(0, high.encode())], left=Cid.for_dag_cbor(leaf))
    reader = MemoryBlockReader({Cid.for_dag_cbor(leaf): leaf, Cid.for_dag_cbor(top): top})
    tree = await Mst.load(reader, Cid.for_dag_cbor(top))
    with pytest.raises(MalformedNode, match="layer"):
        await tree.get(low)


async def test_nodes_encode_exactly_as_the_general_dag_cbor_encoder_does() -> None:
    reader, _ = await build(random_keys(300, seed=28) + random_keys(300, seed=29, collection=LIKE))
    for block in reader.values():
        assert encode(decode(block)) == block


# --- Covering proofs beyond the fixtures ------------------------------------------------


@pytest.mark.parametrize("seed", INVERSION_SEEDS)
async def test_random_change_inverts_in_any_order_on_its_proof_alone(seed: int) -> None:
    rng = random.Random(seed)
    present: dict[str, int] = {}
    initial = random_ops(rng, present, 0, count=INVERSION_TREE_KEYS)
    reader, root = await build(op.key for op in initial)
    present = {op.key: 0 for op in initial}
    ops = random_ops(rng, present, 1, count=INVERSION_BATCH_OPS)
    change = await (await Mst.load(reader, root)).apply(ops)
    inverse = inverse_of(ops, change)
    for _ in range(3):
        verifier = await Mst.load(
            MemoryBlockReader({**change.proof_blocks, **change.new_blocks}), change.root
        )
        for op in rng.sample(inverse, len(inverse)):
            await verifier.apply([op])
        assert verifier.root == root


def inverse_of(ops: list[MstOp], change: MstChange) -> list[MstOp]:
    """The ops that undo ``ops``, from the change's previous values."""
    undo: list[MstOp] = []
    for op in ops:
        previous = change.prev_values[op.key]
        if op.action == MstAction.CREATE:
            undo.append(MstOp(MstAction.DELETE, op.key))
        elif op.action == MstAction.UPDATE:
            undo.append(MstOp(MstAction.UPDATE, op.key, previous))
        else:
            undo.append(MstOp(MstAction.CREATE, op.key, previous))
    return undo
