"""The actor cache: each actor's viewer-independent facts, by DID, in ``pds.cache``.

An entry holds what every viewer sees alike (:class:`ActorBasics`: handle, standing,
profile row and this server's labels of it, counts, labeler flag, declarations) for
:data:`TTL_S` seconds; viewer state (follows, blocks, mutes, subscriptions) is never
cached. Entries are keyed by a version per DID and a global generation, so a reader that
loaded old rows just before a write stores them under a version nobody asks for any more:

- the index's writes (``index_store``) :func:`touch` the DIDs whose facts they change;
- :func:`invalidating` wraps a change of the index (one event, a rebuild) and, once its
  transactions have committed, gives each touched DID a new version (a value never used
  before, from one shared counter); :func:`touch_all` (a recount) moves the generation.

With Redis every process sees the new version before the write's response returns, so no
view built after it shows older facts. Every lookup is counted under :data:`CACHE_NAME`
in ``pds.cache_stats``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any, Final
from weakref import WeakKeyDictionary

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds import Pds, labels_of_records
from exprsn_pds.plugins.appview import view_store as store
from exprsn_pds.plugins.appview.records import iso_time

CACHE_NAME: Final = "appview.actor"
TTL_S: Final = 300.0
"""How long an entry lives (the seed's profiles: at most 300 s)."""
VERSION_TTL_S: Final = 86_400.0
"""How long a DID's version outlives its last change (longer than any entry)."""
ENTRY_KEY: Final = "appview:actor:2:"
"""Entries' key prefix; its number changes with :class:`ActorBasics`' encoding."""
VERSION_KEY: Final = "appview:actor-version:"
GENERATION_KEY: Final = "appview:actor-generation"
COUNTER_KEY: Final = "appview:actor-versions"
UNVERSIONED: Final = b"0"
EVERYONE: Final = "*"


@dataclass(frozen=True)
class ActorBasics:
    """What every viewer sees alike of one indexed actor."""

    did: str
    handle: str | None
    status: str
    profile: dict[str, Any] | None
    counts: dict[str, int]
    labeler: bool
    allow_subscriptions: str | None
    allow_chat: str | None
    profile_labels: list[tuple[str, str, str]]
    """This server's labels of the profile record: ``(cid, value, created at)``."""

    def encode(self) -> bytes:
        """The entry's bytes (JSON)."""
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> ActorBasics:
        """The basics :meth:`encode` wrote."""
        fields = json.loads(data)
        fields["profile_labels"] = [tuple(label) for label in fields["profile_labels"]]
        return cls(**fields)


_touched: ContextVar[set[str] | None] = ContextVar("appview_touched_actors", default=None)


def touch(did: str) -> None:
    """Note that the change under way alters ``did``'s cached facts (outside
    :func:`invalidating`, nothing to note: no view was cached from this change's data)."""
    touched = _touched.get()
    if touched is not None:
        touched.add(did)


def touch_all() -> None:
    """Note that the change under way may alter every actor's cached facts."""
    touch(EVERYONE)


@asynccontextmanager
async def invalidating(pds: Pds) -> AsyncIterator[None]:
    """Run a change of the index, then invalidate what it touched (even when it fails:
    some of its transactions may have committed)."""
    if _touched.get() is not None:  # an enclosing change invalidates at its end
        yield
        return
    touched: set[str] = set()
    token = _touched.set(touched)
    try:
        yield
    finally:
        _touched.reset(token)
        await actor_cache_of(pds).invalidate(touched)


class ActorCache:
    """The actor cache of one server (see the module docstring)."""

    def __init__(self, pds: Pds) -> None:
        self._pds = pds

    async def load(self, dids: Collection[str]) -> dict[str, ActorBasics]:
        """The basics of the indexed actors among ``dids``: from the cache, the rest from
        the index (then cached)."""
        wanted = sorted(set(dids))
        if not wanted:
            return {}
        cache = self._pds.cache
        marks = await cache.get_many([GENERATION_KEY, *(VERSION_KEY + did for did in wanted)])
        generation = (marks[0] or UNVERSIONED).decode()
        keys = {
            did: f"{ENTRY_KEY}{did}:{generation}:{(version or UNVERSIONED).decode()}"
            for did, version in zip(wanted, marks[1:], strict=True)
        }
        found = {
            did: ActorBasics.decode(value)
            for did, value in zip(wanted, await cache.get_many(list(keys.values())), strict=True)
            if value is not None
        }
        missing = [did for did in wanted if did not in found]
        self._pds.cache_stats.record(CACHE_NAME, hits=len(found), misses=len(missing))
        if missing:
            loaded = await read_basics(self._pds.database.client, missing)
            for did, basics in loaded.items():
                await cache.set(keys[did], basics.encode(), ttl_s=TTL_S)
            found |= loaded
        return found

    async def invalidate(self, dids: Collection[str]) -> None:
        """Give each of ``dids`` (or, with :data:`EVERYONE`, the generation) a new version."""
        cache = self._pds.cache
        for did in sorted(dids):
            version = str(await cache.incr(COUNTER_KEY)).encode()
            if did == EVERYONE:
                await cache.set(GENERATION_KEY, version)
            else:
                await cache.set(VERSION_KEY + did, version, ttl_s=VERSION_TTL_S)


async def read_basics(client: BaseDBAsyncClient, dids: Collection[str]) -> dict[str, ActorBasics]:
    """The basics of the indexed actors among ``dids``, read from the index on ``client``."""
    actors = await store.actors(client, dids)
    present = set(actors)
    profiles = await store.profiles(client, present)
    counts = await store.actor_counts(client, present)
    labelers = await store.labelers(client, present)
    subscriptions = _field_of(
        await store.declarations(client, store.NOTIFICATION_DECLARATION, present),
        "allowSubscriptions",
    )
    chat = _field_of(
        await store.declarations(client, store.CHAT_DECLARATION, present), "allowIncoming"
    )
    labels = await labels_of_records(client, [profile["uri"] for profile in profiles.values()])
    return {
        did: ActorBasics(
            did=did,
            handle=actor.handle,
            status=actor.status,
            profile=profiles.get(did),
            counts=counts.get(did, {}),
            labeler=did in labelers,
            allow_subscriptions=subscriptions.get(did),
            allow_chat=chat.get(did),
            profile_labels=[
                (label.cid, label.val, iso_time(label.created_at.isoformat()) or "")
                for label in labels.get(profiles[did]["uri"], [])
            ]
            if did in profiles
            else [],
        )
        for did, actor in actors.items()
    }


def _field_of(records: dict[str, str], name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for did, text in records.items():
        value = json.loads(text).get(name)
        if isinstance(value, str):
            found[did] = value
    return found


_CACHES: WeakKeyDictionary[Pds, ActorCache] = WeakKeyDictionary()


def actor_cache_of(pds: Pds) -> ActorCache:
    """The one :class:`ActorCache` of ``pds``."""
    if pds not in _CACHES:
        _CACHES[pds] = ActorCache(pds)
    return _CACHES[pds]
