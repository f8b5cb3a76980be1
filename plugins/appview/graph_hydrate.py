"""Hydration for the ``app.bsky.graph`` views: the actors (:func:`.hydrate.hydrate_actors`)
plus the lists, starter packs and feed generators a page shows, in batched queries."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Final

from exprsn_pds import Pds
from exprsn_pds.plugins.appview import graph_store
from exprsn_pds.plugins.appview import view_store as store
from exprsn_pds.plugins.appview.hydrate import JOINED_WEEK, ActorState, hydrate_actors
from exprsn_pds.plugins.appview.records import iso_time

GENERATOR: Final = "app.bsky.feed.generator"


@dataclass
class GraphState:
    """An :class:`ActorState` and what the list, starter pack and generator views add."""

    actors: ActorState
    list_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    generators: dict[str, dict[str, Any]] = field(default_factory=dict)
    generator_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    generator_likes: dict[str, int] = field(default_factory=dict)
    generator_viewer_likes: dict[str, str] = field(default_factory=dict)


async def hydrate_graph(
    pds: Pds,
    viewer: str | None,
    dids: list[str],
    *,
    lists: Collection[str] = (),
    packs: Collection[str] = (),
    feeds: Collection[str] = (),
) -> GraphState:
    """Hydrate ``dids``, the ``lists``, ``packs`` (with each pack's list and feeds), the
    generators ``feeds`` and the creators of all of them; without activity subscriptions,
    as the official graph views."""
    client = pds.database.client
    pack_rows = await store.starter_packs(client, set(packs))
    pack_records = {
        uri: value for uri, value in (await store.records(client, set(pack_rows))).items()
    }
    list_uris = set(lists) | {row["list_uri"] for row in pack_rows.values() if row["list_uri"]}
    list_rows = await store.lists(client, list_uris)
    feed_uris = set(feeds) | {
        uri for _, text, _ in pack_records.values() for uri in _feed_uris(json.loads(text))
    }
    generators = await graph_store.generators(client, feed_uris)
    creators = (
        {row["did"] for row in list_rows.values()}
        | {row["did"] for row in pack_rows.values()}
        | {row["did"] for row in generators.values()}
    )
    everyone = list(dict.fromkeys([*dids, *sorted(creators)]))
    actors = await hydrate_actors(pds, viewer, everyone, subscriptions=False)
    state = GraphState(actors=actors)
    actors.lists |= list_rows
    if viewer is not None and list_rows:
        actors.list_blocks_by_viewer |= await store.list_blocks_by(client, viewer, set(list_rows))
        actors.lists_muted_by_viewer |= await store.muted_lists(client, viewer, set(list_rows))
    state.list_records = {
        uri: json.loads(text)
        for uri, (_, text, _) in (await store.records(client, set(list_rows))).items()
    }
    actors.starter_packs |= pack_rows
    actors.starter_pack_records |= {uri: text for uri, (_, text, _) in pack_records.items()}
    if pack_rows:
        since = iso_time((dt.datetime.now(dt.UTC) - JOINED_WEEK).isoformat()) or ""
        actors.starter_pack_joins |= await store.starter_pack_joins(client, set(pack_rows), since)
    state.generators = generators
    if generators:
        records = await store.records(client, set(generators))
        state.generator_records = {uri: json.loads(text) for uri, (_, text, _) in records.items()}
        state.generator_likes = await graph_store.like_counts(client, set(generators))
        if viewer is not None:
            state.generator_viewer_likes = await graph_store.likes_by(
                client, viewer, set(generators)
            )
    return state


def _feed_uris(record: Any) -> list[str]:
    feeds = record.get("feeds") if isinstance(record, dict) else None
    if not isinstance(feeds, list):
        return []
    return [
        feed["uri"]
        for feed in feeds
        if isinstance(feed, dict)
        and isinstance(feed.get("uri"), str)
        and f"/{GENERATOR}/" in feed["uri"]
    ]
