"""Hydration: everything the actor views need, loaded in a few batched queries.

A handler first finds the DIDs it will show (its skeleton), then calls :func:`hydrate_actors`
once; the views (:mod:`.views`) read only the :class:`ActorState` it returns. The state holds
the actors' handles and standing, profiles, counts, declarations (cached per actor, see
:mod:`.actor_cache`), and, with a viewer, the
viewer's follows, blocks (direct and by list), mutes (direct, scoped, and by list), activity
subscriptions and known followers, plus the lists and starter packs those mention; and
the verifications of the actors by the configured trusted verifiers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds import Pds
from exprsn_pds.plugins.appview import view_store as store
from exprsn_pds.plugins.appview.actor_cache import ActorBasics, actor_cache_of
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.plugins.appview.settings import KNOWN_FOLLOWERS_MAX, AppviewSettings

ACTIVE: Final = "active"
JOINED_WEEK: Final = dt.timedelta(days=7)


@dataclass
class ActorState:
    """What the views of one request may show (see the module docstring)."""

    viewer: str | None
    known_followers_max: int = KNOWN_FOLLOWERS_MAX
    actors: dict[str, store.ActorRow] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile_labels: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    """This server's labels of each actor's profile record: ``(cid, value, created at)``."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    labelers: set[str] = field(default_factory=set)
    allow_subscriptions: dict[str, str] = field(default_factory=dict)
    allow_chat: dict[str, str] = field(default_factory=dict)
    following: dict[str, str] = field(default_factory=dict)
    followed_by: dict[str, str] = field(default_factory=dict)
    blocking: dict[str, str] = field(default_factory=dict)
    blocked_by: dict[str, str] = field(default_factory=dict)
    blocking_by_list: dict[str, str] = field(default_factory=dict)
    blocked_by_list: dict[str, str] = field(default_factory=dict)
    block_pairs: set[tuple[str, str]] = field(default_factory=set)
    """``(a, b)``: ``a`` blocks ``b``, directly or by list, among every actor hydrated."""
    muted: set[str] = field(default_factory=set)
    muted_reposts: set[str] = field(default_factory=set)
    """The actors whose reposts only the viewer mutes."""
    muted_quotes: set[str] = field(default_factory=set)
    """The actors whose quote posts only the viewer mutes."""
    muted_by_list: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    known_followers: dict[str, list[str]] = field(default_factory=dict)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    list_blocks_by_viewer: dict[str, str] = field(default_factory=dict)
    lists_muted_by_viewer: set[str] = field(default_factory=set)
    starter_packs: dict[str, dict[str, Any]] = field(default_factory=dict)
    starter_pack_records: dict[str, str] = field(default_factory=dict)
    starter_pack_joins: dict[str, tuple[int, int]] = field(default_factory=dict)
    trusted_verifiers: frozenset[str] = frozenset()
    verifications: dict[str, list[store.VerificationRow]] = field(default_factory=dict)
    """``subject → verifications`` by the trusted verifiers."""

    def visible(self, did: str) -> bool:
        """Whether ``did`` is an indexed, active actor."""
        actor = self.actors.get(did)
        return actor is not None and actor.status == ACTIVE

    def blocked_either_way(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` block each other, either way (direct or by list)."""
        return (a, b) in self.block_pairs or (b, a) in self.block_pairs

    def viewer_mutes(self, did: str) -> bool:
        """Whether the viewer mutes ``did``, directly or by list (a scoped mute is not one)."""
        return did in self.muted or did in self.muted_by_list

    def viewer_block(self, did: str) -> bool:
        """Whether the viewer and ``did`` block each other, either way."""
        return self.viewer is not None and self.blocked_either_way(self.viewer, did)


async def hydrate_actors(
    pds: Pds,
    viewer: str | None,
    dids: list[str],
    *,
    detailed: bool = False,
    known_followers_max: int = KNOWN_FOLLOWERS_MAX,
    subscriptions: bool = True,
) -> ActorState:
    """Hydrate ``dids`` for ``viewer``, reading on ``pds.database.client``.

    Each actor's viewer-independent facts come from the actor cache (:mod:`.actor_cache`),
    the viewer state always from the index. ``detailed`` adds what ``profileViewDetailed``
    needs: known followers (and their own views), joined starter packs and their creators.
    Activity subscriptions are loaded for ``dids`` only, as the official AppView does, and
    not at all without ``subscriptions`` (the official graph lists show none).
    """
    client = pds.database.client
    cache = actor_cache_of(pds)
    trusted = AppviewSettings.of(pds).trusted_verifiers
    state = ActorState(
        viewer=viewer, known_followers_max=known_followers_max, trusted_verifiers=trusted
    )
    wanted = set(dids)
    everyone = wanted | ({viewer} if viewer else set())
    if trusted:
        state.verifications = await store.verifications(client, wanted, trusted)
        everyone |= {row.issuer for rows in state.verifications.values() for row in rows}
    basics = await cache.load(everyone)
    if detailed:
        packs = {
            b.profile["joined_via_uri"]
            for did in wanted
            if (b := basics.get(did)) is not None and b.profile and b.profile["joined_via_uri"]
        }
        if packs:
            state.starter_packs = await store.starter_packs(client, packs)
            records = await store.records(client, set(state.starter_packs))
            state.starter_pack_records = {uri: value[1] for uri, value in records.items()}
            since = iso_time((dt.datetime.now(dt.UTC) - JOINED_WEEK).isoformat()) or ""
            state.starter_pack_joins = await store.starter_pack_joins(
                client, set(state.starter_packs), since
            )
            wanted |= {pack["did"] for pack in state.starter_packs.values()}
        if viewer is not None:
            known = await store.known_followers(client, viewer, set(dids))
            state.known_followers = known
            for followers in known.values():
                wanted |= set(followers[:known_followers_max])
        everyone |= wanted
        basics |= await cache.load(everyone - set(basics))
    _put_basics(state, basics, wanted)
    for edge in await store.blocks_among(client, everyone):
        state.block_pairs.add((edge.did, edge.subject_did))
    list_blocks = await store.list_blocks_among(client, everyone)
    for edge in list_blocks:
        state.block_pairs.add((edge.did, edge.subject_did))
    if viewer is None:
        return state
    await _viewer_state(
        client, state, viewer, wanted, list_blocks, set(dids) if subscriptions else set()
    )
    return state


def _put_basics(state: ActorState, basics: dict[str, ActorBasics], wanted: set[str]) -> None:
    """The cached facts into ``state``: every actor row, the rest for ``wanted``."""
    for did, actor in basics.items():
        state.actors[did] = store.ActorRow(did, actor.handle, actor.status)
        if actor.profile is not None and did in state.trusted_verifiers:
            state.profiles[did] = actor.profile  # an issuer's name in a verification view
        if did not in wanted:
            continue
        if actor.profile is not None:
            state.profiles[did] = actor.profile
            state.profile_labels[did] = actor.profile_labels
        state.counts[did] = actor.counts
        if actor.labeler:
            state.labelers.add(did)
        if actor.allow_subscriptions is not None:
            state.allow_subscriptions[did] = actor.allow_subscriptions
        if actor.allow_chat is not None:
            state.allow_chat[did] = actor.allow_chat


async def _viewer_state(
    client: BaseDBAsyncClient,
    state: ActorState,
    viewer: str,
    wanted: set[str],
    list_blocks: list[store.Edge],
    top_level: set[str],
) -> None:
    for edge in await store.edges_between(client, "appview_follow", viewer, wanted):
        if edge.did == viewer:
            state.following.setdefault(edge.subject_did, edge.uri)
        else:
            state.followed_by.setdefault(edge.did, edge.uri)
    for edge in await store.edges_between(client, "appview_block", viewer, wanted):
        if edge.did == viewer:
            state.blocking.setdefault(edge.subject_did, edge.uri)
        else:
            state.blocked_by.setdefault(edge.did, edge.uri)
    for edge in list_blocks:
        if edge.did == viewer and edge.subject_did in wanted:
            state.blocking_by_list.setdefault(edge.subject_did, edge.uri)
        elif edge.subject_did == viewer and edge.did in wanted:
            state.blocked_by_list.setdefault(edge.did, edge.uri)
    state.muted = await store.muted(client, viewer, wanted)
    for did, (reposts, quotes) in (await store.scoped_mutes(client, viewer, wanted)).items():
        if reposts:
            state.muted_reposts.add(did)
        if quotes:
            state.muted_quotes.add(did)
    state.muted_by_list = await store.muted_by_list(client, viewer, wanted)
    state.subscriptions = await store.activity_subscriptions(client, viewer, top_level)
    list_uris = set(state.blocking_by_list.values()) | set(state.muted_by_list.values())
    if list_uris:
        state.lists = await store.lists(client, list_uris)
        state.list_blocks_by_viewer = await store.list_blocks_by(client, viewer, list_uris)
        state.lists_muted_by_viewer = await store.muted_lists(client, viewer, list_uris)
