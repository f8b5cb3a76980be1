"""The small ``app.bsky`` calls the Bluesky app makes on start: ``labeler.getServices``,
``unspecced.getConfig``, ``ageassurance.getState`` and ``ageassurance.getConfig``.

This server requires no age assurance, and says so: ``getConfig`` names no region with
rules, and ``getState`` answers that the account was not assured (``status: unknown``)
and that nothing restricts it (``access: full``), with the account's creation time.
``unspecced.getConfig`` has nothing to announce (``{}``, as the official AppView answers).
"""

from __future__ import annotations

import json
from typing import Any, Final

from exprsn_pds import XrpcContext, XrpcResponse, caller_did
from exprsn_pds.plugins.appview import graph_store, labeler_store
from exprsn_pds.plugins.appview.actors import views_of
from exprsn_pds.plugins.appview.common import answer, viewer_of
from exprsn_pds.plugins.appview.hydrate import hydrate_actors
from exprsn_pds.plugins.appview.records import iso_time

LABELER_VIEW: Final = "app.bsky.labeler.defs#labelerView"
LABELER_VIEW_DETAILED: Final = "app.bsky.labeler.defs#labelerViewDetailed"
CONFIG: Final = "app.bsky.ageassurance.defs#config"
DETAILED_FIELDS: Final = ("reasonTypes", "subjectTypes", "subjectCollections")


async def get_services(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.labeler.getServices``: the labeler declarations of ``dids`` (those that
    have one, active, in the order asked), ``detailed`` with their policies."""
    dids: list[str] = list(dict.fromkeys(ctx.params["dids"]))
    detailed = bool(ctx.params.get("detailed", False))
    client = ctx.pds.database.client
    found = await labeler_store.labelers(client, dids)
    viewer = viewer_of(ctx)
    state = await hydrate_actors(ctx.pds, viewer, list(found))
    views = views_of(ctx, state)
    uris = [row.uri for row in found.values()]
    likes = {} if viewer is None else await graph_store.likes_by(client, viewer, uris)
    answered: list[dict[str, Any]] = []
    for did in dids:
        row = found.get(did)
        creator = views.profile(did) if row is not None else None
        if row is None or creator is None or not state.visible(did):
            continue
        record = json.loads(row.record)
        view: dict[str, Any] = {
            "$type": LABELER_VIEW_DETAILED if detailed else LABELER_VIEW,
            "uri": row.uri,
            "cid": row.cid,
            "creator": creator,
            "likeCount": row.likes,
            "viewer": {"like": likes[row.uri]} if row.uri in likes else {},
            "indexedAt": row.indexed_at,
            "labels": [],
        }
        if detailed:
            view["policies"] = record.get("policies") or {"labelValues": []}
            for name in DETAILED_FIELDS:
                if isinstance(record.get(name), list):
                    view[name] = record[name]
        answered.append(view)
    return await answer(ctx, {"views": answered})


async def get_config(ctx: XrpcContext) -> dict[str, Any]:
    """``app.bsky.unspecced.getConfig``: nothing to announce."""
    return {}


async def get_age_assurance_state(ctx: XrpcContext) -> dict[str, Any]:
    """``app.bsky.ageassurance.getState``: not assured, and not restricted here."""
    did = caller_did(ctx.auth)
    metadata: dict[str, Any] = {}
    info = await ctx.pds.accounts.get(did)
    if info is not None:
        metadata["accountCreatedAt"] = iso_time(info.created_at.isoformat())
    return {"state": {"status": "unknown", "access": "full"}, "metadata": metadata}


async def get_age_assurance_config(ctx: XrpcContext) -> dict[str, Any]:
    """``app.bsky.ageassurance.getConfig``: no region has rules on this server."""
    return {"$type": CONFIG, "regions": []}
