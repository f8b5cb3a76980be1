"""``app.bsky.feed.getPostThread`` and the calls the Bluesky app uses instead,
``app.bsky.unspecced.getPostThreadV2`` and ``getPostThreadOtherV2``: skeleton
(:mod:`.thread_skeleton`) → hydration (the post views and :mod:`.thread_hydrate`) → the
official rules and presentation (:class:`~.thread_views.ThreadBuilder`)."""

from __future__ import annotations

from typing import Any, Final

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse
from exprsn_pds.plugins.appview.common import answer
from exprsn_pds.plugins.appview.post_methods import post_views
from exprsn_pds.plugins.appview.post_views import PostViews
from exprsn_pds.plugins.appview.thread_hydrate import root_author_likes, thread_actors
from exprsn_pds.plugins.appview.thread_skeleton import load_skeleton
from exprsn_pds.plugins.appview.thread_views import ThreadBuilder

V2_ABOVE: Final = 50
"""Parents ``getPostThreadV2`` shows with ``above`` (the official's fixed height)."""
OTHER_BELOW: Final = 1
"""``getPostThreadOtherV2`` lists the anchor's own other replies, one level."""


async def _builder(
    ctx: XrpcContext, anchor: str, *, above: int, below: int, op_thread: bool
) -> tuple[ThreadBuilder, PostViews]:
    client = ctx.pds.database.client
    skeleton = await load_skeleton(client, anchor, above=above, below=below, op_thread=op_thread)
    views = await post_views(ctx, skeleton.uris(), dids=sorted(thread_actors(skeleton)))
    gate = views.posts.gate_of(skeleton.root)
    builder = ThreadBuilder(
        skeleton,
        views.post,
        views.state,
        root_author_likes=await root_author_likes(client, skeleton),
        hidden_replies=gate.hidden if gate is not None else frozenset(),
    )
    return builder, views


def _with_threadgate(body: dict[str, Any], views: PostViews, root: str) -> dict[str, Any]:
    if (gate := views.threadgate(root)) is not None:
        body["threadgate"] = gate
    return body


async def get_post_thread(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.feed.getPostThread``: the post ``uri`` with ``parentHeight`` parents and
    ``depth`` levels of replies, and the root's threadgate; 400 ``NotFound`` for a post not
    indexed."""
    uri: str = ctx.params["uri"]
    height: int = ctx.params["parentHeight"]
    builder, views = await _builder(
        ctx, uri, above=height, below=ctx.params["depth"], op_thread=False
    )
    if builder.skeleton.anchor_post is None:
        raise InvalidRequest(f"Post not found: {uri}", error="NotFound")
    body = {"thread": builder.thread(height=height, depth=ctx.params["depth"])}
    return await answer(ctx, _with_threadgate(body, views, builder.skeleton.root), repo_rev=True)


async def get_post_thread_v2(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.unspecced.getPostThreadV2``: the flat thread around ``anchor`` (parents
    with ``above``, ``below`` levels of replies sorted by ``sort`` and trimmed to
    ``branchingFactor``), ``hasOtherReplies`` and the root's threadgate."""
    above = V2_ABOVE if ctx.params["above"] else 0
    below: int = ctx.params["below"]
    builder, views = await _builder(
        ctx, ctx.params["anchor"], above=above, below=below, op_thread=True
    )
    thread, has_other = builder.thread_v2(
        above=above,
        below=below,
        branching_factor=ctx.params["branchingFactor"],
        sort=ctx.params["sort"],
    )
    body = {"thread": thread, "hasOtherReplies": has_other}
    return await answer(ctx, _with_threadgate(body, views, builder.skeleton.root))


async def get_post_thread_other_v2(ctx: XrpcContext) -> XrpcResponse:
    """``app.bsky.unspecced.getPostThreadOtherV2``: the anchor's replies that
    ``getPostThreadV2`` leaves out (hidden by the threadgate, by muted accounts)."""
    builder, _ = await _builder(
        ctx, ctx.params["anchor"], above=0, below=OTHER_BELOW, op_thread=True
    )
    return await answer(
        ctx, {"thread": builder.thread_other(below=OTHER_BELOW, branching_factor=0)}
    )
