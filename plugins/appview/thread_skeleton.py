"""A thread's skeleton: which posts it may show, before any view is built.

:func:`load_skeleton` reads the anchor and its ancestors (one recursive query, up to
``above`` posts up), then the replies below it level by level (one query per level, up to
``below`` levels), as the official AppView's thread query: every reply is kept here, the
rules (blocks, threadgate, hidden replies, mutes) apply when the thread is built
(:mod:`.thread_views`). Replies of each post are listed newest first by ``sortAt``.
:func:`op_thread` finds the thread's OP thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview import thread_store
from exprsn_pds.plugins.appview.thread_store import ReplyRow, ThreadPost
from exprsn_pds.plugins.appview.threadgate import did_of
from exprsn_pds.syntax import Tid


@dataclass
class ThreadSkeleton:
    """The anchor, the posts above and below it, and each post's replies (newest first)."""

    anchor: str
    posts: dict[str, ThreadPost] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    op_thread: list[str] | None = None

    @property
    def anchor_post(self) -> ThreadPost | None:
        """The anchor, if indexed."""
        return self.posts.get(self.anchor)

    @property
    def root(self) -> str:
        """The root of the anchor's thread."""
        post = self.anchor_post
        return self.anchor if post is None else post.thread_root

    def parent_of(self, uri: str) -> str | None:
        """The post ``uri`` replies to, if ``uri`` is in the skeleton and replies."""
        post = self.posts.get(uri)
        return None if post is None else post.parent_uri

    def uris(self) -> list[str]:
        """Every post of the skeleton."""
        return list(self.posts)


async def load_skeleton(
    client: BaseDBAsyncClient, anchor: str, *, above: int, below: int, op_thread: bool = False
) -> ThreadSkeleton:
    """The skeleton of the thread around ``anchor``: up to ``above`` ancestors, ``below``
    levels of replies, and (``op_thread``) the OP thread of its root."""
    skeleton = ThreadSkeleton(anchor)
    chain = await thread_store.ancestors(client, anchor, above)
    if not chain:
        return skeleton
    for post in chain:
        skeleton.posts[post.uri] = post
    seen = set(skeleton.posts)
    level = [anchor]
    for _ in range(below):
        found = [post for post in await thread_store.replies(client, level) if post.uri not in seen]
        if not found:
            break
        level = []
        for post in found:
            seen.add(post.uri)
            skeleton.posts[post.uri] = post
            skeleton.children.setdefault(post.parent_uri or "", []).append(post.uri)
            level.append(post.uri)
    if op_thread:
        root = skeleton.root
        skeleton.op_thread = resolve_op_thread(root, await thread_store.op_replies(client, root))
    return skeleton


def resolve_op_thread(root: str, replies: list[ReplyRow]) -> list[str] | None:
    """The OP thread of ``root``: the root, then the oldest line of its author's replies,
    each replying to the one before (``None`` when the root has no such reply).

    As the official AppView: among a post's replies by the author, the oldest (by record
    key) continues the line; a deleted reply keeps its place while the line goes on below
    it; once nothing survives below it, only a reply written after the deletion (by its
    record key's time) may take its place.
    """
    by_parent: dict[str, list[ReplyRow]] = {}
    for reply in replies:
        if reply.did == did_of(root):
            by_parent.setdefault(reply.parent_uri, []).append(reply)
    for siblings in by_parent.values():
        siblings.sort(key=lambda reply: reply.uri)
    visited = {root}

    def line(parent: str) -> list[str] | None:
        vacated_at = ""
        for reply in by_parent.get(parent, []):
            if reply.uri in visited:
                return None
            if vacated_at and not _written_after(reply.uri, vacated_at):
                continue
            visited.add(reply.uri)
            rest = line(reply.uri)
            if rest is None:
                return None
            if reply.deleted_at is None or rest:
                return [reply.uri, *rest]
            visited.discard(reply.uri)
            vacated_at = max(vacated_at, reply.deleted_at)
        return []

    found = line(root)
    return [root, *found] if found else None


def _written_after(uri: str, when: str) -> bool:
    """Whether the record key of ``uri`` (a TID) dates it after ``when`` (the index's
    ISO time, milliseconds)."""
    rkey = uri.rsplit("/", 1)[-1]
    if Tid.problem(rkey) is not None:
        return False
    deleted = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    return Tid(rkey).timestamp_us // 1000 > deleted.timestamp() * 1000
