"""What the index keeps of each ``app.bsky.*`` record: its row and the counts it moves.

:func:`extract` turns one record (atproto JSON form) into an :class:`Extract`: the table
and row that represent it, and the aggregate counts it adds to. Removing the record takes
the same effects back, computed again from the record the index stored, so an update is a
removal of the old version and an insertion of the new one, and nothing is counted twice.
A record whose fields the index cannot use (a missing subject, an over-long value) gets no
row and moves no count; its version is still marked as applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from exprsn_pds.plugins.appview.models import CID_LENGTH, DID_LENGTH, HANDLE_LENGTH, URI_LENGTH
from exprsn_pds.plugins.appview.search_keys import index_keys

PROFILE: Final = "app.bsky.actor.profile"
POST: Final = "app.bsky.feed.post"
LIKE: Final = "app.bsky.feed.like"
REPOST: Final = "app.bsky.feed.repost"
FOLLOW: Final = "app.bsky.graph.follow"
BLOCK: Final = "app.bsky.graph.block"
LIST: Final = "app.bsky.graph.list"
LIST_ITEM: Final = "app.bsky.graph.listitem"
LIST_BLOCK: Final = "app.bsky.graph.listblock"
THREADGATE: Final = "app.bsky.feed.threadgate"
POSTGATE: Final = "app.bsky.feed.postgate"
GENERATOR: Final = "app.bsky.feed.generator"
STARTER_PACK: Final = "app.bsky.graph.starterpack"
LABELER: Final = "app.bsky.labeler.service"
VERIFICATION: Final = "app.bsky.graph.verification"
QUOTABLE_EMBEDS: Final = frozenset({"app.bsky.embed.record", "app.bsky.embed.recordWithMedia"})

ACTOR_COUNTS: Final = "appview_actor_counts"
POST_COUNTS: Final = "appview_post_counts"
LIST_COUNTS: Final = "appview_list_counts"


class Unindexable(ValueError):
    """The record lacks a field its row needs, or holds one the table cannot."""


@dataclass(frozen=True)
class CountEffect:
    """Add ``delta`` to ``column`` of the counts row ``key`` in ``table``."""

    table: str
    key: str
    column: str
    delta: int = 1


@dataclass(frozen=True)
class Extract:
    """A record's row (in ``table``, keyed by ``uri`` or ``did``) and its count effects."""

    table: str
    key_column: str
    row: dict[str, Any]
    effects: tuple[CountEffect, ...] = field(default=())


def iso_time(value: Any) -> str | None:
    """``value`` as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC), or ``None`` if it is no datetime."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    utc = parsed.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now_iso() -> str:
    """The current time in the index's datetime form."""
    return iso_time(dt.datetime.now(dt.UTC).isoformat()) or ""


def sort_time(created_at: str | None, now: str) -> str:
    """When the record counts as indexed: its ``createdAt``, unless missing or future."""
    return created_at if created_at is not None and created_at < now else now


def _text(value: Any, limit: int, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise Unindexable("a field is missing, not text or too long")
    return value


def _uri(value: Any, *, required: bool = True) -> str | None:
    return _text(value, URI_LENGTH, required=required)


def _did(value: Any, *, required: bool = True) -> str | None:
    did = _text(value, DID_LENGTH, required=required)
    if did is not None and not did.startswith("did:"):
        raise Unindexable("not a DID")
    return did


def _link(blob: Any) -> str | None:
    """The CID of a blob's JSON form, or ``None``."""
    if isinstance(blob, dict) and isinstance(ref := blob.get("ref"), dict):
        return _text(ref.get("$link"), CID_LENGTH)
    return None


def _strong_ref(value: Any, *, required: bool = True) -> tuple[str | None, str | None]:
    if value is None and not required:
        return None, None
    if not isinstance(value, dict):
        raise Unindexable("not a strong ref")
    return _uri(value.get("uri")), _text(value.get("cid"), CID_LENGTH, required=True)


def _json_text(value: Any) -> str | None:
    import json

    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)


def _collection_of(uri: str | None) -> str | None:
    if uri is None or not uri.startswith("at://"):
        return None
    parts = uri[len("at://") :].split("/")
    return parts[1] if len(parts) >= 3 else None


Base = dict[str, Any]


def _profile(base: Base, value: dict[str, Any]) -> Extract:
    joined_uri, joined_cid = _strong_ref(value.get("joinedViaStarterPack"), required=False)
    pinned_uri, pinned_cid = _strong_ref(value.get("pinnedPost"), required=False)
    labels = value.get("labels")
    self_labels = None
    if isinstance(labels, dict) and isinstance(values := labels.get("values"), list):
        self_labels = _json_text([v["val"] for v in values if isinstance(v, dict) and "val" in v])
    row = {
        "did": base["did"],
        "uri": base["uri"],
        "cid": base["cid"],
        "display_name": _text(value.get("displayName"), 10_000),
        "description": _text(value.get("description"), 100_000),
        "pronouns": _text(value.get("pronouns"), 10_000),
        "website": _text(value.get("website"), URI_LENGTH),
        "avatar_cid": _link(value.get("avatar")),
        "banner_cid": _link(value.get("banner")),
        "joined_via_uri": joined_uri,
        "joined_via_cid": joined_cid,
        "pinned_uri": pinned_uri,
        "pinned_cid": pinned_cid,
        "self_labels": self_labels,
        "created_at": base["created_at"],
        "indexed_at": base["indexed_at"],
    }
    return Extract("appview_profile", "did", row)


def _media_type(embed: Any, kind: str | None) -> str | None:
    """The ``$type`` of the media an embed shows, also inside ``recordWithMedia``."""
    if kind == "app.bsky.embed.recordWithMedia":
        media = embed.get("media")
        return _text(media.get("$type"), 317) if isinstance(media, dict) else None
    return None if kind in QUOTABLE_EMBEDS else kind


def _embedded_record(embed: Any) -> tuple[str | None, str | None, str | None]:
    """The embed's ``$type`` and the quoted record's URI and CID."""
    if not isinstance(embed, dict):
        return None, None, None
    kind = _text(embed.get("$type"), 317)
    if kind not in QUOTABLE_EMBEDS:
        return kind, None, None
    ref = embed.get("record")
    if kind == "app.bsky.embed.recordWithMedia" and isinstance(ref, dict):
        ref = ref.get("record")
    uri, cid = _strong_ref(ref)
    return kind, uri, cid


def _post(base: Base, value: dict[str, Any]) -> Extract:
    reply = value.get("reply")
    root_uri = root_cid = parent_uri = parent_cid = None
    if reply is not None:
        if not isinstance(reply, dict):
            raise Unindexable("reply is not an object")
        root_uri, root_cid = _strong_ref(reply.get("root"))
        parent_uri, parent_cid = _strong_ref(reply.get("parent"))
    embed_type, embed_uri, embed_cid = _embedded_record(value.get("embed"))
    row = {
        "uri": base["uri"],
        "did": base["did"],
        "cid": base["cid"],
        "text": _text(value.get("text", ""), 1_000_000, required=True),
        "facets": _json_text(value.get("facets")),
        "langs": _json_text(value.get("langs")),
        "tags": _json_text(value.get("tags")),
        "reply_root_uri": root_uri,
        "reply_root_cid": root_cid,
        "reply_parent_uri": parent_uri,
        "reply_parent_cid": parent_cid,
        "embed_type": embed_type,
        "embed_uri": embed_uri,
        "embed_cid": embed_cid,
        "search_keys": index_keys(value),
        "media_type": _media_type(value.get("embed"), embed_type),
        "created_at": base["created_at"] or base["indexed_at"],
        "indexed_at": base["indexed_at"],
    }
    effects = [CountEffect(ACTOR_COUNTS, base["did"], "posts")]
    if parent_uri is not None:
        effects.append(CountEffect(POST_COUNTS, parent_uri, "replies"))
    if embed_uri is not None and _collection_of(embed_uri) == POST:
        effects.append(CountEffect(POST_COUNTS, embed_uri, "quotes"))
    return Extract("appview_post", "uri", row, tuple(effects))


def _subject_action(table: str, column: str) -> Callable[[Base, dict[str, Any]], Extract]:
    def extract(base: Base, value: dict[str, Any]) -> Extract:
        subject_uri, subject_cid = _strong_ref(value.get("subject"))
        via_uri, via_cid = _strong_ref(value.get("via"), required=False)
        row = {
            "uri": base["uri"],
            "did": base["did"],
            "subject_uri": subject_uri,
            "subject_cid": subject_cid,
            "via_uri": via_uri,
            "via_cid": via_cid,
            "created_at": base["created_at"] or base["indexed_at"],
            "indexed_at": base["indexed_at"],
        }
        assert subject_uri is not None
        return Extract(table, "uri", row, (CountEffect(POST_COUNTS, subject_uri, column),))

    return extract


def _graph_edge(base: Base, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "uri": base["uri"],
        "did": base["did"],
        "subject_did": _did(value.get("subject")),
        "created_at": base["created_at"] or base["indexed_at"],
        "indexed_at": base["indexed_at"],
    }


def _follow(base: Base, value: dict[str, Any]) -> Extract:
    row = _graph_edge(base, value)
    effects = (
        CountEffect(ACTOR_COUNTS, base["did"], "follows"),
        CountEffect(ACTOR_COUNTS, row["subject_did"], "followers"),
    )
    return Extract("appview_follow", "uri", row, effects)


def _block(base: Base, value: dict[str, Any]) -> Extract:
    return Extract("appview_block", "uri", _graph_edge(base, value))


def _dated(base: Base) -> dict[str, Any]:
    return {
        "uri": base["uri"],
        "did": base["did"],
        "created_at": base["created_at"] or base["indexed_at"],
        "indexed_at": base["indexed_at"],
    }


def _list(base: Base, value: dict[str, Any]) -> Extract:
    row = _dated(base) | {
        "cid": base["cid"],
        "purpose": _text(value.get("purpose"), 317, required=True),
        "name": _text(value.get("name"), 10_000, required=True),
        "description": _text(value.get("description"), 100_000),
        "avatar_cid": _link(value.get("avatar")),
    }
    return Extract("appview_list", "uri", row, (CountEffect(ACTOR_COUNTS, base["did"], "lists"),))


def _list_item(base: Base, value: dict[str, Any]) -> Extract:
    row = _dated(base) | {
        "list_uri": _uri(value.get("list")),
        "subject_did": _did(value.get("subject")),
    }
    return Extract(
        "appview_list_item", "uri", row, (CountEffect(LIST_COUNTS, row["list_uri"], "items"),)
    )


def _list_block(base: Base, value: dict[str, Any]) -> Extract:
    return Extract(
        "appview_list_block", "uri", _dated(base) | {"list_uri": _uri(value.get("subject"))}
    )


def _gate(table: str, base: Base, value: dict[str, Any], fields: dict[str, str]) -> Extract:
    """A thread- or postgate row: its post and ``fields`` (column → record key) as JSON."""
    row = _dated(base) | {"cid": base["cid"], "post_uri": _uri(value.get("post"))}
    row |= {column: _json_text(value.get(name)) for column, name in fields.items()}
    return Extract(table, "uri", row)


def _threadgate(base: Base, value: dict[str, Any]) -> Extract:
    return _gate(
        "appview_threadgate",
        base,
        value,
        {"allow": "allow", "hidden_replies": "hiddenReplies"},
    )


def _postgate(base: Base, value: dict[str, Any]) -> Extract:
    return _gate(
        "appview_postgate",
        base,
        value,
        {
            "detached_embedding_uris": "detachedEmbeddingUris",
            "embedding_rules": "embeddingRules",
        },
    )


def _generator(base: Base, value: dict[str, Any]) -> Extract:
    row = _dated(base) | {
        "cid": base["cid"],
        "feed_did": _did(value.get("did")),
        "display_name": _text(value.get("displayName"), 10_000, required=True),
        "description": _text(value.get("description"), 100_000),
        "avatar_cid": _link(value.get("avatar")),
    }
    effects = (CountEffect(ACTOR_COUNTS, base["did"], "feedgens"),)
    return Extract("appview_feed_generator", "uri", row, effects)


def _starter_pack(base: Base, value: dict[str, Any]) -> Extract:
    row = _dated(base) | {
        "cid": base["cid"],
        "name": _text(value.get("name"), 10_000, required=True),
        "list_uri": _uri(value.get("list"), required=False),
    }
    effects = (CountEffect(ACTOR_COUNTS, base["did"], "starter_packs"),)
    return Extract("appview_starter_pack", "uri", row, effects)


def _labeler(base: Base, value: dict[str, Any]) -> Extract:
    if base["rkey"] != "self":
        raise Unindexable("a labeler declaration is the record self")
    return Extract("appview_labeler", "uri", _dated(base) | {"cid": base["cid"]})


def _verification(base: Base, value: dict[str, Any]) -> Extract:
    row = _dated(base) | {
        "subject_did": _did(value.get("subject")),
        "handle": _text(value.get("handle"), HANDLE_LENGTH, required=True),
        "display_name": _text(value.get("displayName"), 10_000, required=True),
    }
    return Extract("appview_verification", "uri", row)


def _profile_only_self(base: Base, value: dict[str, Any]) -> Extract:
    if base["rkey"] != "self":
        raise Unindexable("a profile is the record self")
    return _profile(base, value)


EXTRACTORS: Final[dict[str, Callable[[Base, dict[str, Any]], Extract]]] = {
    PROFILE: _profile_only_self,
    POST: _post,
    LIKE: _subject_action("appview_like", "likes"),
    REPOST: _subject_action("appview_repost", "reposts"),
    FOLLOW: _follow,
    BLOCK: _block,
    LIST: _list,
    LIST_ITEM: _list_item,
    LIST_BLOCK: _list_block,
    THREADGATE: _threadgate,
    POSTGATE: _postgate,
    GENERATOR: _generator,
    STARTER_PACK: _starter_pack,
    LABELER: _labeler,
    VERIFICATION: _verification,
}
"""The record types with a table of their own; other ``app.bsky.*`` (and any) records are
kept in ``appview_record`` only."""

TYPED_TABLES: Final = tuple(
    sorted(
        {
            "appview_profile",
            "appview_post",
            "appview_like",
            "appview_repost",
            "appview_follow",
            "appview_block",
            "appview_list",
            "appview_list_item",
            "appview_list_block",
            "appview_threadgate",
            "appview_postgate",
            "appview_feed_generator",
            "appview_starter_pack",
            "appview_labeler",
            "appview_verification",
        }
    )
)


def extract(
    did: str, collection: str, rkey: str, cid: str, value: dict[str, Any], indexed_at: str
) -> Extract | None:
    """The row and count effects of one record, or ``None`` if it has no table (or cannot
    be indexed)."""
    extractor = EXTRACTORS.get(collection)
    if extractor is None:
        return None
    base = {
        "did": did,
        "uri": f"at://{did}/{collection}/{rkey}",
        "rkey": rkey,
        "cid": cid,
        "created_at": iso_time(value.get("createdAt")),
        "indexed_at": indexed_at,
    }
    try:
        return extractor(base, value)
    except (Unindexable, AttributeError, TypeError, KeyError, AssertionError):
        return None
