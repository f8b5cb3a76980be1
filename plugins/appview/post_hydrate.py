"""Hydration for post views: everything ``postView`` and its embeds need, in batched queries.

A handler finds the posts it will show (its skeleton) and calls :func:`hydrate_posts` once.
The state holds the posts and the posts they quote (two levels deep, as deep as the
official embeds go), with ``reply_context`` also the roots and parents of the posts (a feed
item's ``reply``); the records they embed (lists, feed generators, starter packs and
labelers, with :func:`~.graph_hydrate.hydrate_graph`); the authors of all of them and of
the posts they reply to (whose blocks hide a reply's parent or root); counts; the
postgates and the roots' threadgates; and, with a viewer, the viewer's likes, reposts,
thread mutes, bookmarks and the threadgate lists the viewer is a member of.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Final

from exprsn_pds import Pds, StoredLabel, labels_of_records
from exprsn_pds.plugins.appview import graph_store, labeler_store, post_store
from exprsn_pds.plugins.appview.graph_hydrate import GraphState, hydrate_graph
from exprsn_pds.plugins.appview.labeler_store import LabelerRow
from exprsn_pds.plugins.appview.post_store import PostCounts, PostgateRow, PostRow
from exprsn_pds.plugins.appview.thread_store import ThreadgateRow
from exprsn_pds.plugins.appview.threadgate import RULE_MENTION, Gate, did_of, threadgate_uri

POST: Final = "app.bsky.feed.post"
LIST: Final = "app.bsky.graph.list"
GENERATOR: Final = "app.bsky.feed.generator"
STARTER_PACK: Final = "app.bsky.graph.starterpack"
LABELER: Final = "app.bsky.labeler.service"
POSTGATE: Final = "app.bsky.feed.postgate"
QUOTE_LEVELS: Final = 2
"""How deep quoted posts are shown: a post, its quote, the quote's quote."""


def collection_of(uri: str) -> str:
    """The collection of an AT-URI (``""`` when it names none)."""
    parts = uri.removeprefix("at://").split("/")
    return parts[1] if len(parts) > 2 else ""


def postgate_uri(post_uri: str) -> str:
    """Where a post's postgate lives: the author's postgate with the post's record key."""
    return f"at://{did_of(post_uri)}/{POSTGATE}/{post_uri.rsplit('/', 1)[-1]}"


@dataclass
class PostState:
    """What the post views of one request may show (see the module docstring)."""

    graph: GraphState
    posts: dict[str, PostRow] = field(default_factory=dict)
    counts: dict[str, PostCounts] = field(default_factory=dict)
    postgates: dict[str, PostgateRow] = field(default_factory=dict)
    """By post URI."""
    threadgates: dict[str, ThreadgateRow] = field(default_factory=dict)
    """By root post URI."""
    labelers: dict[str, LabelerRow] = field(default_factory=dict)
    labels: dict[str, list[StoredLabel]] = field(default_factory=dict)
    """This server's labels of the posts (when the caller accepts it as a labeler)."""
    repost_cids: dict[str, str] = field(default_factory=dict)
    """The CIDs of the reposts that brought feed items."""
    likes: dict[str, str] = field(default_factory=dict)
    """The viewer's: subject (post or labeler) → like URI."""
    reposts: dict[str, str] = field(default_factory=dict)
    muted_threads: set[str] = field(default_factory=set)
    bookmarked: set[str] = field(default_factory=set)
    """The posts the viewer bookmarked."""
    member_of: set[str] = field(default_factory=set)
    """The threadgate lists that have the viewer as an item."""

    @property
    def viewer(self) -> str | None:
        """The viewer's DID (``None``: anonymous)."""
        return self.graph.actors.viewer

    def gate_of(self, uri: str) -> Gate | None:
        """The rules of the threadgate on the thread of post ``uri``."""
        post = self.posts.get(uri)
        row = self.threadgates.get(post.thread_root if post else uri)
        return None if row is None else Gate.parse(row.allow, row.hidden_replies)


async def hydrate_posts(
    pds: Pds,
    viewer: str | None,
    uris: Collection[str],
    *,
    dids: Iterable[str] = (),
    reposts: Collection[str] = (),
    reply_context: bool = False,
    server_labels: bool = False,
) -> PostState:
    """Hydrate the posts ``uris``, the actors ``dids`` and the reposts ``reposts`` (a
    feed's items) for ``viewer``; with ``server_labels``, the labels this server attached
    to the posts (its ``pds_check_record`` checks)."""
    client = pds.database.client
    rows = await post_store.posts(client, set(uris))
    if reply_context:
        context = {ref for row in rows.values() for ref in (row.root_uri, row.parent_uri) if ref}
        rows |= await post_store.posts(client, context - set(rows))
    level = list(rows.values())
    for _ in range(QUOTE_LEVELS):
        quoted = {row.embed_uri for row in level if row.embed_uri} - set(rows)
        level = list((await post_store.posts(client, _in(quoted, POST))).values())
        rows |= {row.uri: row for row in level}
    embedded = {row.embed_uri for row in rows.values() if row.embed_uri}
    roots = {threadgate_uri(row.thread_root): row.thread_root for row in rows.values()}
    gate_rows = await post_store.threadgates(client, set(roots))
    threadgates = {roots[uri]: row for uri, row in gate_rows.items()}
    mention_roots = {
        root
        for root, row in threadgates.items()
        if RULE_MENTION in Gate.parse(row.allow, row.hidden_replies).rule_kinds()
    }
    rows |= await post_store.posts(client, mention_roots - set(rows))
    labeler_dids = {did_of(uri) for uri in _in(embedded, LABELER)}
    labelers = await labeler_store.labelers(client, labeler_dids)
    actors = [
        *dids,
        *(row.did for row in rows.values()),
        *sorted(did_of(ref) for row in rows.values() for ref in _refs(row)),
        *labelers,
    ]
    gate_lists = {
        uri
        for row in threadgates.values()
        for uri in Gate.parse(row.allow, row.hidden_replies).list_uris()
    }
    graph = await hydrate_graph(
        pds,
        viewer,
        list(dict.fromkeys(actors)),
        lists=_in(embedded, LIST) | gate_lists,
        packs=_in(embedded, STARTER_PACK),
        feeds=_in(embedded, GENERATOR),
    )
    gates = await post_store.postgates(client, {postgate_uri(uri) for uri in rows})
    state = PostState(
        graph,
        posts=rows,
        counts=await post_store.counts(client, set(rows) | {row.uri for row in labelers.values()}),
        postgates={uri: gate for uri in rows if (gate := gates.get(postgate_uri(uri)))},
        threadgates=threadgates,
        labelers=labelers,
        repost_cids=await post_store.record_cids(client, set(reposts)),
    )
    if server_labels:
        state.labels = await labels_of_records(client, set(rows))
    if viewer is not None:
        subjects = set(rows) | {row.uri for row in labelers.values()}
        state.likes = await graph_store.likes_by(client, viewer, subjects)
        state.reposts = await graph_store.reposts_by(client, viewer, set(rows))
        state.bookmarked = await post_store.bookmarked(client, viewer, set(rows))
        state.muted_threads = await post_store.muted_threads(
            client, viewer, {row.thread_root for row in rows.values()}
        )
        state.member_of = await post_store.lists_with_member(client, viewer, gate_lists)
    return state


def _in(uris: Iterable[str], collection: str) -> set[str]:
    return {uri for uri in uris if collection_of(uri) == collection}


def _refs(row: PostRow) -> list[str]:
    """The records whose authors a post's view judges: its root and parent (blocks hide
    them; a parent's parent names a reply's ``grandparentAuthor``) and what it embeds."""
    return [ref for ref in (row.root_uri, row.parent_uri, row.embed_uri) if ref]
