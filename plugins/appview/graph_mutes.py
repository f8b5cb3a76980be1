"""``app.bsky.graph`` mute procedures: muteActor, unmuteActor, muteActorList,
unmuteActorList, muteThread, unmuteThread.

Mutes are private server-side state (``state_store``: the index's mute tables), never
records; each call is idempotent and answers an empty 200, as the official AppView's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds import InvalidRequest, XrpcContext, caller_did
from exprsn_pds.plugins.appview import state_store
from exprsn_pds.plugins.appview.actors import resolve_actors

LIST_COLLECTION: Final = "app.bsky.graph.list"
POST_COLLECTION: Final = "app.bsky.feed.post"


async def _actor(ctx: XrpcContext) -> tuple[str, str]:
    """``(caller, muted DID)``; 400 for an unknown actor or the caller itself."""
    did = caller_did(ctx.auth)
    actor: str = ctx.input["actor"]
    subject = (await resolve_actors(ctx.pds, [actor])).get(actor)
    if subject is None:
        raise InvalidRequest("Actor not found")
    if subject == did:
        raise InvalidRequest("Actor cannot mute themselves")
    return did, subject


def _uri_in(ctx: XrpcContext, key: str, collection: str) -> str:
    uri: str = ctx.input[key]
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != collection:
        raise InvalidRequest(f"Invalid collection: expected: {collection}")
    return uri


async def mute_actor(ctx: XrpcContext) -> None:
    """``app.bsky.graph.muteActor``: the caller mutes ``actor``: fully, or with
    ``onlyReposts`` / ``onlyQuoteposts`` only its reposts / quote posts (the timeline and
    list feeds drop those; the actor's own posts stay). A new call replaces the scope."""
    did, subject = await _actor(ctx)
    async with ctx.pds.database.transaction() as client:
        await state_store.mute(
            client,
            did,
            subject,
            only_reposts=bool(ctx.input.get("onlyReposts")),
            only_quoteposts=bool(ctx.input.get("onlyQuoteposts")),
        )


async def unmute_actor(ctx: XrpcContext) -> None:
    """``app.bsky.graph.unmuteActor``: the caller no longer mutes ``actor``."""
    did, subject = await _actor(ctx)
    async with ctx.pds.database.transaction() as client:
        await state_store.unmute(client, did, subject)


async def _by_uri(
    ctx: XrpcContext,
    key: str,
    collection: str,
    change: Callable[[BaseDBAsyncClient, str, str], Awaitable[None]],
) -> None:
    """Check ``key`` of the input is a URI in ``collection``, then apply ``change``
    (a ``state_store`` function) for the caller and that URI in one transaction."""
    uri = _uri_in(ctx, key, collection)
    async with ctx.pds.database.transaction() as client:
        await change(client, caller_did(ctx.auth), uri)


async def mute_actor_list(ctx: XrpcContext) -> None:
    """``app.bsky.graph.muteActorList``: the caller mutes every member of ``list``."""
    await _by_uri(ctx, "list", LIST_COLLECTION, state_store.mute_list)


async def unmute_actor_list(ctx: XrpcContext) -> None:
    """``app.bsky.graph.unmuteActorList``: the caller no longer mutes ``list``."""
    await _by_uri(ctx, "list", LIST_COLLECTION, state_store.unmute_list)


async def mute_thread(ctx: XrpcContext) -> None:
    """``app.bsky.graph.muteThread``: the caller mutes the thread rooted at ``root``."""
    await _by_uri(ctx, "root", POST_COLLECTION, state_store.mute_thread)


async def unmute_thread(ctx: XrpcContext) -> None:
    """``app.bsky.graph.unmuteThread``: the caller no longer mutes the thread at ``root``."""
    await _by_uri(ctx, "root", POST_COLLECTION, state_store.unmute_thread)
