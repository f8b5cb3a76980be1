"""Threads built from a skeleton and the post views, with the official AppView's rules.

:class:`ThreadBuilder` reads a :class:`~.thread_skeleton.ThreadSkeleton`, a function that
gives each post's ``postView`` (``None``: not shown, e.g. missing or taken down) and the
request's :class:`~.hydrate.ActorState` (blocks, mutes), and builds:

- ``getPostThread``'s tree (:meth:`~ThreadBuilder.thread`): the anchor, its parents up to
  ``height``, its replies down to ``depth``, each post's replies newest first. A post by
  someone blocking or blocked by the viewer is a ``#blockedPost``; a parent blocking or
  blocked by its child's author too (a third-party block), a missing parent is a
  ``#notFoundPost``; replies breaking the threadgate, missing or third-party blocked ones
  are left out; an anchor that broke the threadgate has neither parents nor replies.
- ``getPostThreadV2``'s flat list (:meth:`~ThreadBuilder.thread_v2`): parents above the
  anchor (negative depths), replies below (sorted, trimmed to ``branchingFactor`` below the
  first level), and ``hasOtherReplies``: whether the anchor has replies hidden by its
  threadgate, by an account the viewer mutes, or that are only a pin (📌), which
  ``getPostThreadOtherV2`` (:meth:`~ThreadBuilder.thread_other`) lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any, Final

from exprsn_pds.plugins.appview.hydrate import ActorState
from exprsn_pds.plugins.appview.post_refs import blocked_author, blocked_post, not_found_post
from exprsn_pds.plugins.appview.thread_skeleton import ThreadSkeleton
from exprsn_pds.plugins.appview.thread_store import ThreadPost
from exprsn_pds.plugins.appview.threadgate import did_of

FEED: Final = "app.bsky.feed.defs"
UNSPECCED: Final = "app.bsky.unspecced.defs"
NO_UNAUTHENTICATED: Final = "!no-unauthenticated"
PUSH_PIN: Final = "\U0001f4cc"
OP_LIKE_BOOST: Final = 1.45
"""How much a like by the thread's author weighs in the ``top`` sort (the official's)."""
SORTS: Final = frozenset({"newest", "oldest", "top"})

PostViewOf = Callable[[str], dict[str, Any] | None]


@dataclass
class Node:
    """A ``getPostThreadV2`` item while the tree is sorted: its kind (``post``,
    ``blocked``, ``notFound``, ``noUnauthenticated``, ``hidden``, or ``anchor`` for the
    invisible anchor of the other replies), its item and the nodes around it."""

    kind: str
    item: dict[str, Any] | None
    depth: int
    uri: str
    has_op_like: bool = False
    parent: Node | None = None
    replies: list[Node] | None = None

    @property
    def post(self) -> dict[str, Any]:
        """The ``postView`` of a post or hidden node."""
        assert self.item is not None
        view: dict[str, Any] = self.item["value"]["post"]
        return view


@dataclass
class SortOptions:
    """How replies are ordered: ``sort``, the thread's author, the viewer, the OP thread."""

    sort: str
    op_did: str
    viewer: str | None
    op_thread: frozenset[str] = field(default_factory=frozenset)


class ThreadBuilder:
    """Builds one request's thread (see the module docstring)."""

    def __init__(
        self,
        skeleton: ThreadSkeleton,
        post_view: PostViewOf,
        actors: ActorState,
        *,
        root_author_likes: dict[str, str],
        hidden_replies: frozenset[str],
    ) -> None:
        self.skeleton = skeleton
        self.post_view = post_view
        self.actors = actors
        self.root_author_likes = root_author_likes
        self.hidden_replies = hidden_replies

    # Rules shared by both versions.

    def _viewer_block(self, did: str) -> bool:
        return self.actors.viewer_block(did)

    def _third_party_block(self, post: ThreadPost) -> bool:
        """Whether ``post``'s author and its parent's block each other, either way."""
        parent_did = did_of(post.parent_uri) if post.parent_uri else ""
        return (
            bool(parent_did)
            and parent_did != post.did
            and (self.actors.blocked_either_way(post.did, parent_did))
        )

    def _no_unauthenticated(self, view: dict[str, Any]) -> bool:
        labels = view["author"].get("labels") or []
        return self.actors.viewer is None and any(
            label.get("val") == NO_UNAUTHENTICATED for label in labels
        )

    def _thread_context(self, uri: str) -> dict[str, Any]:
        like = self.root_author_likes.get(uri)
        return {} if like is None else {"rootAuthorLike": like}

    # getPostThread.

    def thread(self, *, height: int, depth: int) -> dict[str, Any]:
        """The anchor's ``#threadViewPost`` (or ``#notFoundPost`` / ``#blockedPost``)."""
        uri = self.skeleton.anchor
        post = self.skeleton.posts.get(uri)
        view = self.post_view(uri) if post is not None else None
        if post is None or view is None:
            return not_found_post(uri)
        if self._viewer_block(post.did):
            return blocked_post(self.actors, uri)
        node: dict[str, Any] = {"$type": f"{FEED}#threadViewPost", "post": view}
        if not post.violates_threadgate:
            if (parent := self._parent(post, post.thread_root, height)) is not None:
                node["parent"] = parent
            if (replies := self._replies(uri, post.thread_root, depth)) is not None:
                node["replies"] = replies
        node["threadContext"] = self._thread_context(uri)
        return node

    def _parent(self, child: ThreadPost, root: str, height: int) -> dict[str, Any] | None:
        if height < 1 or child.parent_uri is None:
            return None
        uri = child.parent_uri
        if self._third_party_block(child):
            return blocked_post(self.actors, uri)
        post = self.skeleton.posts.get(uri)
        view = self.post_view(uri) if post is not None else None
        if post is None or view is None:
            return not_found_post(uri)
        if post.thread_root != root:
            return None
        if self._viewer_block(post.did):
            return blocked_post(self.actors, uri)
        node: dict[str, Any] = {"$type": f"{FEED}#threadViewPost", "post": view}
        if (parent := self._parent(post, root, height - 1)) is not None:
            node["parent"] = parent
        node["threadContext"] = self._thread_context(uri)
        return node

    def _replies(self, parent: str, root: str, depth: int) -> list[dict[str, Any]] | None:
        if depth < 1:
            return None
        found: list[dict[str, Any]] = []
        for uri in self.skeleton.children.get(parent, []):
            post = self.skeleton.posts[uri]
            if post.violates_threadgate or self._third_party_block(post):
                continue
            view = self.post_view(uri)
            if view is None or post.thread_root != root:
                continue
            if self._viewer_block(post.did):
                found.append(blocked_post(self.actors, uri))
                continue
            node: dict[str, Any] = {"$type": f"{FEED}#threadViewPost", "post": view}
            if (replies := self._replies(uri, root, depth - 1)) is not None:
                node["replies"] = replies
            node["threadContext"] = self._thread_context(uri)
            found.append(node)
        return found

    # getPostThreadV2.

    def thread_v2(
        self, *, above: int, below: int, branching_factor: int, sort: str
    ) -> tuple[list[dict[str, Any]], bool]:
        """The flat ``thread`` list and ``hasOtherReplies``."""
        uri = self.skeleton.anchor
        post = self.skeleton.posts.get(uri)
        view = self.post_view(uri) if post is not None else None
        if post is None or view is None:
            return [_item(uri, 0, f"{UNSPECCED}#threadItemNotFound", {})], False
        if self._viewer_block(post.did):
            return [self._blocked_item(uri, 0, post.did)], False
        root = post.thread_root
        op_did = did_of(root)
        parent, op_line = (None, False)
        if not post.violates_threadgate:
            parent, op_line = self._parent_v2(post, op_did, root, above, -1)
        is_op_thread = (op_line if parent is not None else True) and post.did == op_did
        has_other = False
        if self._no_unauthenticated(view):
            anchor = Node(
                "noUnauthenticated",
                _item(uri, 0, f"{UNSPECCED}#threadItemNoUnauthenticated", {}),
                0,
                uri,
                parent=parent,
            )
        else:
            replies: list[Node] | None = None
            if not post.violates_threadgate:
                replies, has_other = self._replies_v2(
                    uri, is_op_thread, op_did, root, below, 1, branching_factor
                )
            anchor = Node(
                "post",
                self._post_item(uri, 0, view, op_thread=is_op_thread, allowance=None),
                0,
                uri,
                has_op_like=uri in self.root_author_likes,
                parent=parent,
                replies=replies,
            )
        op_thread = self.skeleton.op_thread
        options = SortOptions(sort, op_did, self.actors.viewer, frozenset(op_thread or ()))
        _sort_trim(anchor, options, branching_factor)
        items = _flatten(anchor)
        if op_thread:
            _mark_op_thread(items, op_thread)
        return items, has_other

    def _blocked_item(self, uri: str, depth: int, did: str) -> dict[str, Any]:
        return _item(
            uri,
            depth,
            f"{UNSPECCED}#threadItemBlocked",
            {"author": blocked_author(self.actors, did)},
        )

    def _post_item(
        self,
        uri: str,
        depth: int,
        view: dict[str, Any],
        *,
        op_thread: bool,
        allowance: int | None,
        more_parents: bool = False,
        hidden: bool = False,
        muted: bool = False,
    ) -> dict[str, Any]:
        more = 0 if allowance is None else max(int(view.get("replyCount") or 0) - allowance, 0)
        return _item(
            uri,
            depth,
            f"{UNSPECCED}#threadItemPost",
            {
                "post": view,
                "moreParents": more_parents,
                "moreReplies": more,
                "opThread": op_thread,
                "hiddenByThreadgate": hidden,
                "mutedByViewer": muted,
            },
        )

    def _parent_v2(
        self, child: ThreadPost, op_did: str, root: str, above: int, depth: int
    ) -> tuple[Node | None, bool]:
        """The parent node of ``child`` (and its own parents), and whether the chain from
        the root down to it is all the OP's."""
        if abs(depth) > above or child.parent_uri is None:
            return None, False
        uri = child.parent_uri
        post = self.skeleton.posts.get(uri)
        view = self.post_view(uri) if post is not None else None
        if post is None or view is None:
            return Node(
                "notFound", _item(uri, depth, f"{UNSPECCED}#threadItemNotFound", {}), depth, uri
            ), False
        if post.thread_root != root:
            return None, False
        if self._viewer_block(post.did) or self._third_party_block(child):
            return Node("blocked", self._blocked_item(uri, depth, post.did), depth, uri), False
        parent, op_line = self._parent_v2(post, op_did, root, above, depth - 1)
        is_op_thread = (op_line if parent is not None else True) and post.did == op_did
        if self._no_unauthenticated(view):
            item = _item(uri, depth, f"{UNSPECCED}#threadItemNoUnauthenticated", {})
            return Node("noUnauthenticated", item, depth, uri, parent=parent), is_op_thread
        item = self._post_item(
            uri,
            depth,
            view,
            op_thread=is_op_thread,
            allowance=None,
            more_parents=post.parent_uri is not None and parent is None,
        )
        node = Node(
            "post", item, depth, uri, has_op_like=uri in self.root_author_likes, parent=parent
        )
        return node, is_op_thread

    def _included(self, uri: str, root: str) -> tuple[ThreadPost, dict[str, Any]] | None:
        """The reply ``uri`` and its view, unless a rule leaves it out of every list."""
        post = self.skeleton.posts[uri]
        if post.violates_threadgate:
            return None
        view = self.post_view(uri)
        if view is None or post.thread_root != root:
            return None
        if self._viewer_block(post.did) or self._third_party_block(post):
            return None
        if self._no_unauthenticated(view):
            return None
        return post, view

    def _other(self, post: ThreadPost) -> tuple[bool, bool, bool]:
        """Whether the reply goes to the other replies: (other, hidden by the threadgate,
        muted by the viewer)."""
        hidden = self.actors.viewer != post.did and post.uri in self.hidden_replies
        muted = self.actors.viewer_mutes(post.did)
        pin = post.text.strip() == PUSH_PIN
        return hidden or muted or pin, hidden, muted

    def _replies_v2(
        self,
        parent: str,
        op_line: bool,
        op_did: str,
        root: str,
        below: int,
        depth: int,
        branching_factor: int,
    ) -> tuple[list[Node] | None, bool]:
        if depth > below:
            return None, False
        has_other = False
        nodes: list[Node] = []
        for uri in self.skeleton.children.get(parent, []):
            included = self._included(uri, root)
            if included is None:
                continue
            post, view = included
            if self._other(post)[0]:
                has_other = has_other or depth == 1
                continue
            is_op_thread = op_line and post.did == op_did
            nested, _ = self._replies_v2(
                uri, is_op_thread, op_did, root, below, depth + 1, branching_factor
            )
            allowance = 0 if depth == below else branching_factor
            item = self._post_item(uri, depth, view, op_thread=is_op_thread, allowance=allowance)
            nodes.append(
                Node(
                    "post",
                    item,
                    depth,
                    uri,
                    has_op_like=uri in self.root_author_likes,
                    replies=nested,
                )
            )
        return nodes, has_other

    # getPostThreadOtherV2.

    def thread_other(self, *, below: int, branching_factor: int) -> list[dict[str, Any]]:
        """The anchor's other replies (hidden by the threadgate, by muted accounts, pins)."""
        uri = self.skeleton.anchor
        post = self.skeleton.posts.get(uri)
        view = self.post_view(uri) if post is not None else None
        if post is None or view is None or self._viewer_block(post.did):
            return []
        root = post.thread_root
        anchor = Node("anchor", None, 0, uri, replies=self._other_replies(uri, root, below, 1))
        _sort_trim(anchor, SortOptions("", did_of(root), self.actors.viewer), branching_factor)
        return _flatten(anchor)

    def _other_replies(self, parent: str, root: str, below: int, depth: int) -> list[Node] | None:
        if depth > below:
            return None
        nodes: list[Node] = []
        for uri in self.skeleton.children.get(parent, []):
            included = self._included(uri, root)
            if included is None:
                continue
            post, view = included
            other, hidden, muted = self._other(post)
            if other != (depth == 1):
                continue
            item = self._post_item(
                uri, depth, view, op_thread=False, allowance=None, hidden=hidden, muted=muted
            )
            nodes.append(
                Node(
                    "hidden",
                    item,
                    depth,
                    uri,
                    replies=self._other_replies(uri, root, below, depth + 1),
                )
            )
        return nodes


def _item(uri: str, depth: int, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"uri": uri, "depth": depth, "value": {"$type": kind, **value}}


def _mark_op_thread(items: list[dict[str, Any]], op_thread: list[str]) -> None:
    """Mark each post of the OP thread with its place in it; unmark the others."""
    places = {uri: index for index, uri in enumerate(op_thread, start=1)}
    for item in items:
        value = item["value"]
        if value["$type"] != f"{UNSPECCED}#threadItemPost":
            continue
        place = places.get(item["uri"])
        value["opThread"] = place is not None
        if place is not None:
            value["opThreadPostIndex"] = place
            value["opThreadPostCount"] = len(op_thread)


def _top_value(node: Node) -> float:
    likes = int(node.post.get("likeCount") or 0)
    return math.log(3 + likes) * (OP_LIKE_BOOST if node.has_op_like else 1.0)


def _sorting(a: Node, b: Node, options: SortOptions) -> int:
    """``sort`` between two visible replies; newest first otherwise and on ties."""
    a_at, b_at = str(a.post["indexedAt"]), str(b.post["indexedAt"])
    if a.kind == "post" and b.kind == "post":
        if options.sort == "oldest":
            return (a_at > b_at) - (a_at < b_at)
        if options.sort == "top":
            a_top, b_top = _top_value(a), _top_value(b)
            if a_top != b_top:
                return 1 if b_top > a_top else -1
    return (b_at > a_at) - (b_at < a_at)


def _bumps(options: SortOptions) -> Bumps:
    """The bumps, in priority order, as ``(up, applies)``: the OP thread, the OP's
    replies, the viewer's, those of accounts the viewer follows; among other replies,
    muted ones last, then those the threadgate hides."""

    def author(node: Node) -> str:
        return str(node.post["author"]["did"])

    def value(node: Node) -> dict[str, Any]:
        assert node.item is not None
        return dict(node.item["value"])

    return [
        (True, lambda n: n.uri in options.op_thread),
        (True, lambda n: author(n) == options.op_did),
        (True, lambda n: author(n) == options.viewer),
        (
            True,
            lambda n: (
                n.kind == "post" and bool(n.post["author"].get("viewer", {}).get("following"))
            ),
        ),
        (False, lambda n: n.kind == "hidden" and bool(value(n)["mutedByViewer"])),
        (False, lambda n: n.kind == "hidden" and bool(value(n)["hiddenByThreadgate"])),
    ]


Bumps = list[tuple[bool, Callable[[Node], bool]]]


def _compare(a: Node, b: Node, options: SortOptions, bumps: Bumps) -> int:
    for up, applies in bumps:
        in_a, in_b = applies(a), applies(b)
        if in_a and in_b:
            return _sorting(a, b, options)
        if in_a:
            return -1 if up else 1
        if in_b:
            return 1 if up else -1
    return _sorting(a, b, options)


def _sort_trim(
    node: Node, options: SortOptions, branching_factor: int, bumps: Bumps | None = None
) -> None:
    """Sort every level of replies below ``node`` and keep ``branching_factor`` of each
    but the anchor's own."""
    if node.replies is None:
        return
    bumps = _bumps(options) if bumps is None else bumps
    node.replies.sort(key=cmp_to_key(lambda a, b: _compare(a, b, options, bumps)))
    if node.depth != 0:
        node.replies = node.replies[:branching_factor]
    for reply in node.replies:
        _sort_trim(reply, options, branching_factor, bumps)


def _flatten(node: Node) -> list[dict[str, Any]]:
    """Parents above (top first), the node, then its replies depth first."""
    items: list[dict[str, Any]] = []
    if node.parent is not None and node.kind in ("post", "noUnauthenticated"):
        items.extend(_flatten(node.parent))
    if node.item is not None:
        items.append(node.item)
    if node.kind in ("post", "hidden", "anchor"):
        for reply in node.replies or []:
            items.extend(_flatten(reply))
    return items
