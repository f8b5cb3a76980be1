"""The stand-ins a view shows for a post it may not show: ``#blockedPost`` (with the
``#blockedAuthor`` who blocks whom) and ``#notFoundPost`` (``app.bsky.feed.defs``), shared
by the post views, the feed items' reply context and the threads."""

from __future__ import annotations

from typing import Any, Final

from exprsn_pds.plugins.appview.hydrate import ActorState
from exprsn_pds.plugins.appview.threadgate import did_of

FEED: Final = "app.bsky.feed.defs"


def blocked_author(state: ActorState, did: str) -> dict[str, Any]:
    """``#blockedAuthor``: the DID and, with a viewer, who blocks whom."""
    author: dict[str, Any] = {"did": did}
    if state.viewer is not None:
        viewer: dict[str, Any] = {
            "blockedBy": bool(state.blocked_by.get(did) or state.blocked_by_list.get(did))
        }
        if blocking := state.blocking.get(did) or state.blocking_by_list.get(did):
            viewer["blocking"] = blocking
        author["viewer"] = viewer
    return author


def blocked_post(state: ActorState, uri: str) -> dict[str, Any]:
    """``#blockedPost`` of ``uri``."""
    return {
        "$type": f"{FEED}#blockedPost",
        "uri": uri,
        "blocked": True,
        "author": blocked_author(state, did_of(uri)),
    }


def not_found_post(uri: str) -> dict[str, Any]:
    """``#notFoundPost`` of ``uri``."""
    return {"$type": f"{FEED}#notFoundPost", "uri": uri, "notFound": True}
