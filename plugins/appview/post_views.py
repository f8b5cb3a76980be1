"""Presentation of posts from a :class:`~.post_hydrate.PostState`, as the official AppView's.

``postView`` (``app.bsky.feed.defs``) with its counts, viewer state, self-labels and the
root's ``threadgateView``; the embed views (``images``, ``external``, ``video``,
``record`` with ``viewRecord`` / ``viewNotFound`` / ``viewBlocked`` / ``viewDetached`` or
the embedded list, feed generator, starter pack or labeler, and ``recordWithMedia``),
quoted posts shown two levels deep; ``feedViewPost`` with its ``reply`` context and
``reasonRepost`` / ``reasonPin``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from exprsn_pds.plugins.appview.feed_store import FeedItem
from exprsn_pds.plugins.appview.graph_views import GraphViews
from exprsn_pds.plugins.appview.post_hydrate import (
    GENERATOR,
    LABELER,
    LIST,
    POST,
    STARTER_PACK,
    PostState,
    collection_of,
)
from exprsn_pds.plugins.appview.post_refs import blocked_author, blocked_post, not_found_post
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.plugins.appview.threadgate import RULE_MENTION, did_of, mentioned_dids
from exprsn_pds.plugins.appview.views import ImageUrl

FEED: Final = "app.bsky.feed.defs"
EMBED: Final = "app.bsky.embed"
EPOCH: Final = "1970-01-01T00:00:00.000Z"
GALLERY_SHOWN: Final = 10
"""Gallery items a view shows (the lexicon's soft limit, which the official enforces)."""

VideoUrl = Callable[[str, str, str], str]
"""``(kind, did, cid) → URL`` of a video blob's ``playlist`` or ``thumbnail``."""


def blob_cid(blob: Any) -> str | None:
    """The CID of a blob reference (``ref.$link``, or a legacy blob's ``cid``)."""
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    if isinstance(ref, dict) and isinstance(ref.get("$link"), str):
        return str(ref["$link"])
    legacy = blob.get("cid")
    return legacy if isinstance(legacy, str) else None


class PostViews(GraphViews):
    """The actor and graph views plus the post views of one request."""

    def __init__(
        self, state: PostState, image_url: ImageUrl, video_url: VideoUrl, labeler: str | None
    ) -> None:
        super().__init__(state.graph, image_url, labeler)
        self.posts = state
        self._video = video_url

    def post(self, uri: str, depth: int = 0) -> dict[str, Any] | None:
        """``postView`` of an indexed post by an active author (``None`` otherwise); its
        embed shown while ``depth`` < 2."""
        row = self.posts.posts.get(uri)
        if row is None or not self.state.visible(row.did):
            return None
        author = self.profile_basic(row.did)
        if author is None:
            return None
        counts = self.posts.counts.get(uri)
        view: dict[str, Any] = {
            "uri": uri,
            "cid": row.cid,
            "author": author,
            "record": row.record,
            "bookmarkCount": counts.bookmarks if counts else 0,
            "replyCount": counts.replies if counts else 0,
            "repostCount": counts.reposts if counts else 0,
            "likeCount": counts.likes if counts else 0,
            "quoteCount": counts.quotes if counts else 0,
            "indexedAt": row.sort_at,
            "labels": [
                *self.server_labels(uri, row.cid, self._post_labels(uri)),
                *self.self_labels(uri, row.cid, row.record),
            ],
        }
        embed = row.record.get("embed")
        embed_view = self.embed(uri, embed, depth + 1) if depth < 2 and embed else None
        if embed_view is not None:
            view["embed"] = embed_view
        if self.state.viewer is not None:
            view["viewer"] = self._post_viewer(uri)
        if row.root_uri is None and (gate := self.threadgate(uri)) is not None:
            view["threadgate"] = gate
        return view

    def threadgate(self, root_uri: str) -> dict[str, Any] | None:
        """``threadgateView`` of the threadgate on the hydrated root post ``root_uri``."""
        gate = self.posts.threadgates.get(root_uri)
        if gate is None:
            return None
        record = json.loads(gate.record)
        rules = self.posts.gate_of(root_uri)
        lists = [
            view
            for uri in (rules.list_uris() if rules is not None else [])
            if (view := self.list_basic(uri)) is not None
        ]
        return {"uri": gate.uri, "cid": gate.cid, "record": record, "lists": lists}

    def _post_labels(self, uri: str) -> list[tuple[str, str, str]]:
        return [
            (label.cid, label.val, iso_time(label.created_at.isoformat()) or EPOCH)
            for label in self.posts.labels.get(uri, [])
        ]

    def self_labels(self, uri: str, cid: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The record's self-labels as ``com.atproto.label.defs#label`` values."""
        labels = record.get("labels")
        values = labels.get("values") if isinstance(labels, dict) else None
        if not isinstance(values, list):
            return []
        created = record.get("createdAt")
        cts = (iso_time(created) if isinstance(created, str) else None) or EPOCH
        src = did_of(uri)
        return [
            {"src": src, "uri": uri, "cid": cid, "val": item["val"], "cts": cts}
            for item in values
            if isinstance(item, dict) and isinstance(item.get("val"), str)
        ]

    def _post_viewer(self, uri: str) -> dict[str, Any]:
        row = self.posts.posts[uri]
        viewer: dict[str, Any] = {
            "bookmarked": uri in self.posts.bookmarked,
            "threadMuted": row.thread_root in self.posts.muted_threads,
            "embeddingDisabled": self.embedding_disabled(uri),
        }
        if (like := self.posts.likes.get(uri)) is not None:
            viewer["like"] = like
        if (repost := self.posts.reposts.get(uri)) is not None:
            viewer["repost"] = repost
        if (reply_disabled := self.reply_disabled(uri)) is not None:
            viewer["replyDisabled"] = reply_disabled
        if self.state.viewer == row.did:
            profile = self.state.profiles.get(row.did) or {}
            if profile.get("pinned_uri"):
                viewer["pinned"] = profile["pinned_uri"] == uri
        return viewer

    def reply_disabled(self, uri: str) -> bool | None:
        """Whether the viewer may not reply to ``uri``: it broke its threadgate, or the
        threadgate admits the viewer by none of its rules (``None``: no gate or viewer)."""
        row = self.posts.posts.get(uri)
        if row is not None and row.violates_threadgate:
            return True
        gate = self.posts.gate_of(uri)
        viewer = self.state.viewer
        if gate is None or viewer is None:
            return None
        root = row.thread_root if row is not None else uri
        owner = did_of(root)
        if viewer == owner or gate.allow is None:
            return False
        kinds = gate.rule_kinds()
        root_row = self.posts.posts.get(root)
        if RULE_MENTION in kinds and root_row is not None:
            facets = root_row.record.get("facets")
            if viewer in mentioned_dids(json.dumps(facets) if facets else None):
                return False
        if "app.bsky.feed.threadgate#followerRule" in kinds and owner in self.state.following:
            return False
        if "app.bsky.feed.threadgate#followingRule" in kinds and owner in self.state.followed_by:
            return False
        return not any(uri in self.posts.member_of for uri in gate.list_uris())

    def embedding_disabled(self, uri: str) -> bool:
        """Whether the viewer may not quote ``uri`` (its postgate's ``disableRule``; the
        author always may)."""
        row = self.posts.posts.get(uri)
        if row is None:
            return True
        if self.state.viewer == row.did:
            return False
        gate = self.posts.postgates.get(uri)
        return gate is not None and gate.embedding_disabled

    def embed(self, post_uri: str, embed: Any, depth: int) -> dict[str, Any] | None:
        """The view of a post's ``embed`` (``None`` for an unknown kind)."""
        if not isinstance(embed, dict):
            return None
        kind = embed.get("$type")
        if kind == f"{EMBED}.record":
            return self.record_embed(post_uri, embed, depth)
        if kind == f"{EMBED}.recordWithMedia":
            media = self.media_embed(did_of(post_uri), embed.get("media"))
            record = embed.get("record")
            if media is None or not isinstance(record, dict):
                return None
            inner = self.record_embed(post_uri, record, depth)
            if inner is None:
                return None
            inner.pop("$type")
            return {"$type": f"{EMBED}.recordWithMedia#view", "media": media, "record": inner}
        return self.media_embed(did_of(post_uri), embed)

    def media_embed(self, did: str, embed: Any) -> dict[str, Any] | None:
        """``images#view``, ``video#view`` or ``external#view`` (``None``: none of them)."""
        if not isinstance(embed, dict):
            return None
        kind = embed.get("$type")
        if kind == f"{EMBED}.images":
            return {"$type": f"{EMBED}.images#view", "images": self._images(did, embed)}
        if kind == f"{EMBED}.gallery":
            return {"$type": f"{EMBED}.gallery#view", "items": self._gallery(did, embed)}
        if kind == f"{EMBED}.video" and (cid := blob_cid(embed.get("video"))) is not None:
            view: dict[str, Any] = {
                "$type": f"{EMBED}.video#view",
                "cid": cid,
                "playlist": self._video("playlist", did, cid),
                "thumbnail": self._video("thumbnail", did, cid),
            }
            for key in ("alt", "aspectRatio", "presentation"):
                if key in embed:
                    view[key] = embed[key]
            return view
        if kind == f"{EMBED}.external" and isinstance(external := embed.get("external"), dict):
            shown = {key: external[key] for key in ("uri", "title", "description")}
            if (thumb := blob_cid(external.get("thumb"))) is not None:
                shown["thumb"] = self._image("feed_thumbnail", did, thumb)
            return {"$type": f"{EMBED}.external#view", "external": shown}
        return None

    def _images(self, did: str, embed: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            view
            for image in embed.get("images") or []
            if (view := self._image_view(did, image, "thumb")) is not None
        ]

    def _gallery(self, did: str, embed: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"$type": f"{EMBED}.gallery#viewImage", **view}
            for item in (embed.get("items") or [])[:GALLERY_SHOWN]
            if isinstance(item, dict)
            and item.get("$type") == f"{EMBED}.gallery#image"
            and (view := self._image_view(did, item, "thumbnail")) is not None
        ]

    def _image_view(self, did: str, image: Any, thumb_key: str) -> dict[str, Any] | None:
        """An image's view: its thumbnail (under ``thumb_key``) and full-size URLs, alt
        text and aspect ratio (``None``: no blob)."""
        cid = blob_cid(image.get("image")) if isinstance(image, dict) else None
        if cid is None:
            return None
        view = {
            thumb_key: self._image("feed_thumbnail", did, cid),
            "fullsize": self._image("feed_fullsize", did, cid),
            "alt": image.get("alt", ""),
        }
        if "aspectRatio" in image:
            view["aspectRatio"] = image["aspectRatio"]
        return view

    def record_embed(
        self, post_uri: str, embed: dict[str, Any], depth: int
    ) -> dict[str, Any] | None:
        """``record#view`` of the record ``post_uri`` quotes (``None``: no reference)."""
        ref = embed.get("record")
        uri = ref.get("uri") if isinstance(ref, dict) else None
        if not isinstance(uri, str):
            return None
        author = did_of(uri)
        if self.state.viewer_block(author) or self.state.blocked_either_way(
            did_of(post_uri), author
        ):
            return _record_view(self._embed_blocked(uri))
        collection = collection_of(uri)
        gate = self.posts.postgates.get(uri)
        detached = {"$type": f"{EMBED}.record#viewDetached", "uri": uri, "detached": True}
        if gate is not None and gate.embedding_disabled and did_of(post_uri) != author:
            return _record_view(detached)
        shown: dict[str, Any] | None = None
        if collection == POST:
            shown = self._view_record(uri, depth)
            if shown is not None and gate is not None and post_uri in gate.detached:
                shown = detached
        elif collection == GENERATOR:
            shown = _typed(f"{FEED}#generatorView", self.generator(uri))
        elif collection == LIST:
            shown = _typed("app.bsky.graph.defs#listView", self.list_view(uri))
        elif collection == LABELER:
            shown = self.labeler(author)
        elif collection == STARTER_PACK:
            shown = _typed("app.bsky.graph.defs#starterPackViewBasic", self.starter_pack_basic(uri))
        if shown is None:
            shown = {"$type": f"{EMBED}.record#viewNotFound", "uri": uri, "notFound": True}
        return _record_view(shown)

    def _view_record(self, uri: str, depth: int) -> dict[str, Any] | None:
        post = self.post(uri, depth)
        if post is None:
            return None
        view = {
            "$type": f"{EMBED}.record#viewRecord",
            "uri": post["uri"],
            "cid": post["cid"],
            "author": post["author"],
            "value": post["record"],
            "labels": post["labels"],
            "likeCount": post["likeCount"],
            "replyCount": post["replyCount"],
            "repostCount": post["repostCount"],
            "quoteCount": post["quoteCount"],
            "indexedAt": post["indexedAt"],
        }
        if depth <= 1:
            view["embeds"] = [post["embed"]] if "embed" in post else []
        return view

    def labeler(self, did: str) -> dict[str, Any] | None:
        """``app.bsky.labeler.defs#labelerView`` of ``did``'s declaration."""
        row = self.posts.labelers.get(did)
        creator = self.shown_profile(did)
        if row is None or creator is None:
            return None
        record = json.loads(row.record)
        view: dict[str, Any] = {
            "$type": "app.bsky.labeler.defs#labelerView",
            "uri": row.uri,
            "cid": row.cid,
            "creator": creator,
            "likeCount": row.likes,
            "indexedAt": row.indexed_at,
            "labels": self.self_labels(row.uri, row.cid, record),
        }
        if self.state.viewer is not None:
            like = self.posts.likes.get(row.uri)
            view["viewer"] = {"like": like} if like else {}
        return view

    def _embed_blocked(self, uri: str) -> dict[str, Any]:
        return {
            "$type": f"{EMBED}.record#viewBlocked",
            "uri": uri,
            "blocked": True,
            "author": blocked_author(self.state, did_of(uri)),
        }

    def maybe_post(self, uri: str) -> dict[str, Any]:
        """``postView``, or ``#blockedPost`` / ``#notFoundPost``."""
        post = self.post(uri)
        if post is None:
            return not_found_post(uri)
        if self.state.viewer_block(did_of(uri)):
            return blocked_post(self.state, uri)
        return {"$type": f"{FEED}#postView", **post}

    def reply_ref(self, uri: str) -> dict[str, Any] | None:
        """``replyRef`` of a reply: its root and parent (blocked when the reply's author
        and theirs block each other), and the parent's parent's author."""
        row = self.posts.posts.get(uri)
        if row is None or row.root_uri is None or row.parent_uri is None:
            return None
        root = self.maybe_post(row.root_uri)
        parent = self.maybe_post(row.parent_uri)
        if parent.get("$type") == f"{FEED}#postView" and self.state.blocked_either_way(
            row.did, did_of(row.parent_uri)
        ):
            parent = blocked_post(self.state, row.parent_uri)
        root_did = did_of(row.root_uri)
        if root.get("$type") == f"{FEED}#postView" and (
            self.state.blocked_either_way(row.did, root_did)
            or self.state.blocked_either_way(did_of(row.parent_uri), root_did)
        ):
            root = blocked_post(self.state, row.root_uri)
        ref: dict[str, Any] = {"root": root, "parent": parent}
        parent_row = self.posts.posts.get(row.parent_uri)
        if parent.get("$type") == f"{FEED}#postView" and parent_row and parent_row.parent_uri:
            grandparent = self.profile_basic(did_of(parent_row.parent_uri))
            if grandparent is not None:
                ref["grandparentAuthor"] = grandparent
        return ref

    def feed_view_post(self, item: FeedItem) -> dict[str, Any] | None:
        """``feedViewPost`` of a feed item (``None`` when its post or repost is not shown)."""
        post = self.post(item.post_uri)
        if post is None:
            return None
        view: dict[str, Any] = {"post": post}
        if item.pinned:
            view["reason"] = {"$type": f"{FEED}#reasonPin"}
        elif item.repost_uri is not None:
            by = self.profile_basic(item.originator)
            cid = self.posts.repost_cids.get(item.repost_uri)
            if by is None or cid is None:
                return None
            view["reason"] = {
                "$type": f"{FEED}#reasonRepost",
                "by": by,
                "uri": item.repost_uri,
                "cid": cid,
                "indexedAt": item.sort_key,
            }
        row = self.posts.posts[item.post_uri]
        if not row.violates_threadgate and (reply := self.reply_ref(item.post_uri)) is not None:
            view["reply"] = reply
        return view


def _record_view(record: dict[str, Any]) -> dict[str, Any]:
    return {"$type": f"{EMBED}.record#view", "record": record}


def _typed(kind: str, view: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if view is None else {"$type": kind, **view}
