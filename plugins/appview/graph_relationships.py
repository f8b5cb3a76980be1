"""``app.bsky.graph.getRelationships``: the follow and block edges between one actor and
others, read from the index in three batched queries."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds import XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview import view_store as store
from exprsn_pds.plugins.appview.actors import resolve_actors
from exprsn_pds.plugins.appview.common import answer
from exprsn_pds.plugins.appview.graph_views import not_found_actor, relationship


async def edges_of(
    client: BaseDBAsyncClient, actor: str, others: set[str]
) -> dict[str, dict[str, str]]:
    """``other → {following, followedBy, blocking, blockedBy, blockingByList,
    blockedByList}`` (the record or list URIs that hold, oldest first) of ``actor``."""
    facts: dict[str, dict[str, str]] = {did: {} for did in others}
    for table, outgoing, incoming in (
        ("appview_follow", "following", "followedBy"),
        ("appview_block", "blocking", "blockedBy"),
    ):
        for edge in await store.edges_between(client, table, actor, others):
            if edge.did == actor and edge.subject_did in facts:
                facts[edge.subject_did].setdefault(outgoing, edge.uri)
            elif edge.subject_did == actor and edge.did in facts:
                facts[edge.did].setdefault(incoming, edge.uri)
    for edge in await store.list_blocks_among(client, others | {actor}):
        if edge.did == actor and edge.subject_did in facts:
            facts[edge.subject_did].setdefault("blockingByList", edge.uri)
        elif edge.subject_did == actor and edge.did in facts:
            facts[edge.did].setdefault("blockedByList", edge.uri)
    return facts


async def get_relationships(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.graph.getRelationships``: for each of ``others``, in the order asked, its
    ``relationship`` with ``actor``, or ``notFoundActor`` if the index does not know it.

    As the official AppView: an unknown ``actor`` answers every other as not found (and
    no ``actor``), and the answer carries no labeler header (it holds no labels).
    """
    actor: str = ctx.params["actor"]
    others: list[str] = ctx.params.get("others") or []
    resolved = await resolve_actors(ctx.pds, [actor, *others])
    subject = resolved.get(actor)
    body: dict[str, Any] = {}
    if subject is None or not others:
        body["relationships"] = [not_found_actor(other) for other in others]
        if subject is not None:
            body = {"actor": subject} | body
        return await answer(ctx, body, labelers=False)
    facts = await edges_of(
        ctx.pds.database.client, subject, {resolved[o] for o in others if o in resolved}
    )
    body["actor"] = subject
    body["relationships"] = [
        relationship(resolved[other], facts[resolved[other]])
        if other in resolved
        else not_found_actor(other)
        for other in others
    ]
    return await answer(ctx, body, labelers=False)
