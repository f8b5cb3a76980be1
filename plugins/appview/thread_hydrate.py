"""What a thread needs besides its posts' views, loaded in a few batched queries.

For a :class:`~.thread_skeleton.ThreadSkeleton`: the root's threadgate (its record, the
replies it hides, and the lists its rules name, as ``listViewBasic`` for the
``threadgateView``), and the likes by the root's author of the thread's posts (each post's
``threadContext.rootAuthorLike``, and the ``top`` sort's boost). :func:`thread_actors` names
the DIDs whose block and mute state the thread's rules read: the authors of its posts and
of the posts they reply to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview import graph_store, thread_store, view_store
from exprsn_pds.plugins.appview.hydrate import ActorState
from exprsn_pds.plugins.appview.thread_skeleton import ThreadSkeleton
from exprsn_pds.plugins.appview.threadgate import Gate, did_of, threadgate_uri
from exprsn_pds.plugins.appview.views import Views


@dataclass(frozen=True)
class ThreadFacts:
    """The root's threadgate (``None``: none) and the root author's likes (post → like)."""

    gate: thread_store.ThreadgateRow | None
    root_author_likes: dict[str, str]

    @property
    def hidden_replies(self) -> frozenset[str]:
        """The replies the root's threadgate hides."""
        if self.gate is None:
            return frozenset()
        return Gate.parse(self.gate.allow, self.gate.hidden_replies).hidden


def thread_actors(skeleton: ThreadSkeleton) -> set[str]:
    """The authors of the skeleton's posts and of the posts they reply to."""
    dids = set()
    for post in skeleton.posts.values():
        dids.add(post.did)
        if post.parent_uri:
            dids.add(did_of(post.parent_uri))
    return dids


async def thread_facts(client: BaseDBAsyncClient, skeleton: ThreadSkeleton) -> ThreadFacts:
    """The threadgate of the skeleton's root and its author's likes of the posts."""
    if skeleton.anchor_post is None:
        return ThreadFacts(None, {})
    root = skeleton.root
    gate = await thread_store.threadgate(client, threadgate_uri(root))
    likes = await graph_store.likes_by(client, did_of(root), skeleton.uris())
    return ThreadFacts(gate, likes)


async def add_gate_lists(client: BaseDBAsyncClient, state: ActorState, facts: ThreadFacts) -> None:
    """Put the lists the threadgate's rules name into ``state`` (with the viewer's mutes
    and blocks of them), for :func:`threadgate_view`."""
    if facts.gate is None:
        return
    uris = Gate.parse(facts.gate.allow, facts.gate.hidden_replies).list_uris()
    if not uris:
        return
    state.lists |= await view_store.lists(client, uris)
    if state.viewer is not None:
        state.lists_muted_by_viewer |= await view_store.muted_lists(client, state.viewer, uris)
        state.list_blocks_by_viewer |= await view_store.list_blocks_by(client, state.viewer, uris)


def threadgate_view(views: Views, facts: ThreadFacts) -> dict[str, Any] | None:
    """``app.bsky.feed.defs#threadgateView`` of the root's threadgate."""
    if facts.gate is None:
        return None
    gate = facts.gate
    lists = [
        view
        for uri in Gate.parse(gate.allow, gate.hidden_replies).list_uris()
        if (view := views.list_basic(uri)) is not None
    ]
    return {"uri": gate.uri, "cid": gate.cid, "record": json.loads(gate.record), "lists": lists}
