"""The one bounded LRU map: by count, by weight, recency, replacement, oversized values."""

from __future__ import annotations

from exprsn_pds.datamodel import Cid
from exprsn_pds.lru import Lru
from exprsn_pds.repo.blocks import BlockCache


def test_a_count_bound_drops_the_least_recently_used() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
    assert len(lru) == 2


def test_writing_an_entry_again_refreshes_and_replaces_it() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    lru.put("a", 10)
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (10, None, 3)


def test_a_weight_bound_counts_each_values_weight() -> None:
    lru: Lru[str, bytes] = Lru(10, weigh=len)
    lru.put("a", b"1234")
    lru.put("b", b"1234")
    lru.put("c", b"12")
    assert len(lru) == 3
    lru.put("d", b"1")
    assert lru.get("a") is None
    assert [lru.get(key) for key in "bcd"] == [b"1234", b"12", b"1"]


def test_replacing_a_value_replaces_its_weight() -> None:
    lru: Lru[str, bytes] = Lru(10, weigh=len)
    lru.put("a", b"123456789")
    lru.put("a", b"1")
    lru.put("b", b"123456789")
    assert (lru.get("a"), lru.get("b")) == (b"1", b"123456789")


def test_a_value_heavier_than_the_bound_is_not_kept_and_drops_nothing() -> None:
    lru: Lru[str, bytes] = Lru(4, weigh=len)
    lru.put("a", b"12")
    lru.put("big", b"12345")
    assert (lru.get("a"), lru.get("big")) == (b"12", None)


def test_pop_forgets_an_entry_and_its_weight() -> None:
    lru: Lru[str, bytes] = Lru(4, weigh=len)
    lru.put("a", b"1234")
    assert lru.pop("a") == b"1234"
    assert lru.pop("a") is None
    lru.put("b", b"1234")
    assert lru.get("b") == b"1234"


def test_the_block_cache_is_bounded_in_bytes() -> None:
    cids = [Cid.for_raw(bytes([i])) for i in range(3)]
    cache = BlockCache(max_bytes=8)
    for cid in cids:
        cache.put(cid, b"four")
    assert [cache.get(cid) for cid in cids] == [None, b"four", b"four"]


def test_on_drop_hears_of_every_entry_the_bound_drops() -> None:
    dropped: list[tuple[str, int]] = []
    lru: Lru[str, int] = Lru(
        10, weigh=lambda size: size, on_drop=lambda k, v: dropped.append((k, v))
    )
    lru.put("a", 4)
    lru.put("b", 4)
    lru.put("a", 3)  # replaced under its key: not dropped
    lru.put("c", 5)  # over the bound: "b", the least recently used, goes
    lru.put("huge", 11)  # heavier than the bound: never kept
    assert lru.pop("a") == 3  # popped: not dropped
    assert dropped == [("b", 4), ("huge", 11)]
    assert (lru.weight, len(lru)) == (5, 1)
