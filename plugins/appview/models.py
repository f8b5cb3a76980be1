"""The AppView index: tables of the ``appview`` tortoise app, in the server's database.

Three kinds of table:

- ``appview_record`` marks every record version the index applied (and, for a deleted
  record, a tombstone), with the event ``seq`` that put it there: an event older than the
  mark is skipped, so applying an event twice, or late, changes nothing;
- one table per record type, holding the fields the views and queries need, and the
  aggregate counts (``appview_actor_counts``, ``appview_post_counts``,
  ``appview_list_counts``) that every insert and removal of those rows moves;
- private per-account state that is not in any repo: mutes, list mutes, thread mutes,
  activity subscriptions and ``app.bsky.actor`` preferences.

Reads and writes go through raw SQL in the ``*store.py`` modules; these models declare
the tables (and so the migrations).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

DID_LENGTH = 2048
URI_LENGTH = 8192
CID_LENGTH = 256
NSID_LENGTH = 317
RKEY_LENGTH = 512
TIME_LENGTH = 64
HANDLE_LENGTH = 253


def _uri(**kwargs: Any) -> Any:
    return fields.CharField(max_length=URI_LENGTH, **kwargs)


def _did(**kwargs: Any) -> Any:
    return fields.CharField(max_length=DID_LENGTH, **kwargs)


def _cid(**kwargs: Any) -> Any:
    return fields.CharField(max_length=CID_LENGTH, **kwargs)


def _time(**kwargs: Any) -> Any:
    return fields.CharField(max_length=TIME_LENGTH, **kwargs)


class IndexedActor(Model):
    """An account the index knows: handle, standing and the marks of what was applied."""

    did = _did(primary_key=True)
    handle = fields.CharField(max_length=HANDLE_LENGTH, null=True, db_index=True)
    status = fields.CharField(max_length=32, default="active")
    """``active``, ``deactivated``, ``takendown`` or ``deleted``."""
    account_seq = fields.BigIntField(default=0)
    """``seq`` of the newest account event applied (the standing)."""
    handle_seq = fields.BigIntField(default=0)
    """``seq`` of the newest identity event applied (the handle)."""
    commit_seq = fields.BigIntField(default=0)
    """``seq`` of the newest commit (or sync) event applied to this repo."""
    rev = fields.CharField(max_length=64, null=True)
    """``rev`` of that commit."""

    class Meta:
        table = "appview_actor"


class IndexedRecord(Model):
    """The version of one record the index holds, or its tombstone, and the event seq."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    collection = fields.CharField(max_length=NSID_LENGTH)
    rkey = fields.CharField(max_length=RKEY_LENGTH)
    cid = _cid(null=True)
    """``None`` for a tombstone (the record was deleted)."""
    seq = fields.BigIntField()
    record = fields.TextField(null=True)
    """The record's atproto JSON text (``None`` for a tombstone)."""
    indexed_at = _time()

    class Meta:
        table = "appview_record"


class Profile(Model):
    """``app.bsky.actor.profile/self``."""

    did = _did(primary_key=True)
    uri = _uri()
    cid = _cid()
    display_name = fields.TextField(null=True)
    description = fields.TextField(null=True)
    pronouns = fields.TextField(null=True)
    website = fields.TextField(null=True)
    avatar_cid = _cid(null=True)
    banner_cid = _cid(null=True)
    joined_via_uri = _uri(null=True, db_index=True)
    joined_via_cid = _cid(null=True)
    pinned_uri = _uri(null=True)
    pinned_cid = _cid(null=True)
    self_labels = fields.TextField(null=True)
    """JSON list of self-label values."""
    created_at = _time(null=True)
    indexed_at = _time()

    class Meta:
        table = "appview_profile"


class Post(Model):
    """``app.bsky.feed.post``: text, facets, langs, tags, reply refs and the embed's refs."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    cid = _cid()
    text = fields.TextField()
    facets = fields.TextField(null=True)
    langs = fields.TextField(null=True)
    tags = fields.TextField(null=True)
    reply_root_uri = _uri(null=True, db_index=True)
    reply_root_cid = _cid(null=True)
    reply_parent_uri = _uri(null=True, db_index=True)
    reply_parent_cid = _cid(null=True)
    embed_type = fields.CharField(max_length=NSID_LENGTH, null=True)
    embed_uri = _uri(null=True, db_index=True)
    """The quoted record (``embed.record`` or ``recordWithMedia``)."""
    embed_cid = _cid(null=True)
    search_keys = fields.TextField(null=True)
    """What ``searchPosts`` filters find the post by (mentions, links, domains, tags,
    languages), as hashed words of a full-text index (see ``search_query.index_keys``)."""
    media_type = fields.CharField(max_length=NSID_LENGTH, null=True)
    """The ``$type`` of the media it shows (images, video, external, gallery), also inside
    ``recordWithMedia``."""
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_post"


class Like(Model):
    """``app.bsky.feed.like``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    subject_uri = _uri(db_index=True)
    subject_cid = _cid()
    via_uri = _uri(null=True)
    via_cid = _cid(null=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_like"


class Repost(Model):
    """``app.bsky.feed.repost``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    subject_uri = _uri(db_index=True)
    subject_cid = _cid()
    via_uri = _uri(null=True)
    via_cid = _cid(null=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_repost"


class Follow(Model):
    """``app.bsky.graph.follow``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    subject_did = _did(db_index=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_follow"


class Block(Model):
    """``app.bsky.graph.block``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    subject_did = _did(db_index=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_block"


class GraphList(Model):
    """``app.bsky.graph.list``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    cid = _cid()
    purpose = fields.CharField(max_length=NSID_LENGTH)
    name = fields.TextField()
    description = fields.TextField(null=True)
    avatar_cid = _cid(null=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_list"


class ListItem(Model):
    """``app.bsky.graph.listitem``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    list_uri = _uri(db_index=True)
    subject_did = _did(db_index=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_list_item"


class ListBlock(Model):
    """``app.bsky.graph.listblock``: ``did`` blocks every member of ``list_uri``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    list_uri = _uri(db_index=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_list_block"


class Threadgate(Model):
    """``app.bsky.feed.threadgate``: who may reply to ``post_uri`` (rules as JSON)."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    cid = _cid()
    post_uri = _uri(db_index=True)
    allow = fields.TextField(null=True)
    hidden_replies = fields.TextField(null=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_threadgate"


class Postgate(Model):
    """``app.bsky.feed.postgate``: detached quotes and embedding rules of ``post_uri``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    cid = _cid()
    post_uri = _uri(db_index=True)
    detached_embedding_uris = fields.TextField(null=True)
    embedding_rules = fields.TextField(null=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_postgate"


class FeedGenerator(Model):
    """``app.bsky.feed.generator``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    cid = _cid()
    feed_did = _did()
    display_name = fields.TextField()
    description = fields.TextField(null=True)
    avatar_cid = _cid(null=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_feed_generator"


class StarterPack(Model):
    """``app.bsky.graph.starterpack``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    cid = _cid()
    name = fields.TextField()
    list_uri = _uri(null=True)
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_starter_pack"


class Labeler(Model):
    """``app.bsky.labeler.service/self``."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    cid = _cid()
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_labeler"


class Verification(Model):
    """``app.bsky.graph.verification``: ``did`` verifies ``subject_did`` as handle/name."""

    uri = _uri(primary_key=True)
    did = _did(db_index=True)
    subject_did = _did(db_index=True)
    handle = fields.CharField(max_length=HANDLE_LENGTH)
    display_name = fields.TextField()
    created_at = _time()
    indexed_at = _time()

    class Meta:
        table = "appview_verification"


class ActorCounts(Model):
    """Aggregates of an actor: followers, follows, posts, lists, feed generators, packs."""

    did = _did(primary_key=True)
    followers = fields.BigIntField(default=0)
    follows = fields.BigIntField(default=0)
    posts = fields.BigIntField(default=0)
    lists = fields.BigIntField(default=0)
    feedgens = fields.BigIntField(default=0)
    starter_packs = fields.BigIntField(default=0)

    class Meta:
        table = "appview_actor_counts"


class PostCounts(Model):
    """Aggregates of a post (keyed by its AT-URI, indexed or not yet)."""

    uri = _uri(primary_key=True)
    likes = fields.BigIntField(default=0)
    reposts = fields.BigIntField(default=0)
    replies = fields.BigIntField(default=0)
    quotes = fields.BigIntField(default=0)

    class Meta:
        table = "appview_post_counts"


class ListCounts(Model):
    """Aggregates of a list: its items."""

    uri = _uri(primary_key=True)
    items = fields.BigIntField(default=0)

    class Meta:
        table = "appview_list_counts"


class Mute(Model):
    """``did`` mutes ``subject_did`` (private server-side state, not a record)."""

    id = fields.BigIntField(primary_key=True)
    did = _did(db_index=True)
    subject_did = _did()
    created_at = _time()

    class Meta:
        table = "appview_mute"
        unique_together = (("did", "subject_did"),)


class ScopedMute(Model):
    """``did`` mutes only ``subject_did``'s reposts and/or quote posts (private state).

    A full mute is a :class:`Mute` instead, never both."""

    id = fields.BigIntField(primary_key=True)
    did = _did(db_index=True)
    subject_did = _did()
    only_reposts = fields.BooleanField()
    only_quoteposts = fields.BooleanField()
    created_at = _time()

    class Meta:
        table = "appview_scoped_mute"
        unique_together = (("did", "subject_did"),)


class ListMute(Model):
    """``did`` mutes every member of ``list_uri``."""

    id = fields.BigIntField(primary_key=True)
    did = _did(db_index=True)
    list_uri = _uri()
    created_at = _time()

    class Meta:
        table = "appview_list_mute"
        unique_together = (("did", "list_uri"),)


class ThreadMute(Model):
    """``did`` mutes the thread rooted at ``root_uri``."""

    id = fields.BigIntField(primary_key=True)
    did = _did(db_index=True)
    root_uri = _uri()
    created_at = _time()

    class Meta:
        table = "appview_thread_mute"
        unique_together = (("did", "root_uri"),)


class Bookmark(Model):
    """``did`` bookmarked the post ``subject_uri`` (private server-side state, not a record)."""

    id = fields.BigIntField(primary_key=True)
    did = _did(db_index=True)
    subject_uri = _uri(db_index=True)
    subject_cid = _cid()
    created_at = _time()

    class Meta:
        table = "appview_bookmark"
        unique_together = (("did", "subject_uri"),)


class ActivitySubscription(Model):
    """``did`` asked to hear about ``subject_did``'s posts and/or replies."""

    id = fields.BigIntField(primary_key=True)
    did = _did(db_index=True)
    subject_did = _did()
    post = fields.BooleanField()
    reply = fields.BooleanField()
    created_at = _time()

    class Meta:
        table = "appview_activity_subscription"
        unique_together = (("did", "subject_did"),)


class Preferences(Model):
    """An account's ``app.bsky.actor`` preferences (JSON list), never shown to others."""

    did = _did(primary_key=True)
    preferences = fields.TextField()
    updated_at = _time()

    class Meta:
        table = "appview_preferences"
