"""Which handler serves each ``app.bsky.graph`` method, and who may call it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from exprsn_pds.plugins.appview import graph, graph_mutes
from exprsn_pds.plugins.appview.graph_relationships import get_relationships

GRAPH: Final = "app.bsky.graph"

GRAPH_READS: Final[dict[str, Callable[..., Any]]] = {
    f"{GRAPH}.getFollows": graph.get_follows,
    f"{GRAPH}.getFollowers": graph.get_followers,
    f"{GRAPH}.getList": graph.get_list,
    f"{GRAPH}.getLists": graph.get_lists,
    f"{GRAPH}.getRelationships": get_relationships,
    f"{GRAPH}.getStarterPack": graph.get_starter_pack,
    f"{GRAPH}.getStarterPacks": graph.get_starter_packs,
    f"{GRAPH}.getActorStarterPacks": graph.get_actor_starter_packs,
    f"{GRAPH}.getSuggestedFollowsByActor": graph.get_suggested_follows_by_actor,
}
"""Views of the index: a session, or anyone with ``public_reads``."""

GRAPH_OWN: Final[dict[str, Callable[..., Any]]] = {
    f"{GRAPH}.getKnownFollowers": graph.get_known_followers,
    f"{GRAPH}.getBlocks": graph.get_blocks,
    f"{GRAPH}.getMutes": graph.get_mutes,
    f"{GRAPH}.getListBlocks": graph.get_list_blocks,
    f"{GRAPH}.getListMutes": graph.get_list_mutes,
    f"{GRAPH}.muteActor": graph_mutes.mute_actor,
    f"{GRAPH}.unmuteActor": graph_mutes.unmute_actor,
    f"{GRAPH}.muteActorList": graph_mutes.mute_actor_list,
    f"{GRAPH}.unmuteActorList": graph_mutes.unmute_actor_list,
    f"{GRAPH}.muteThread": graph_mutes.mute_thread,
    f"{GRAPH}.unmuteThread": graph_mutes.unmute_thread,
}
"""The caller's own state and views that need a viewer: a session only."""
