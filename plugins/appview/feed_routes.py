"""Which handler serves each ``app.bsky.feed`` method the AppView (and this server as a
feed generator) answers, the thread calls of ``app.bsky.unspecced`` and
``app.bsky.bookmark``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from exprsn_pds.plugins.appview import (
    bookmark_methods,
    feed_generator_service,
    feed_generators,
    feed_get,
    feed_methods,
    post_methods,
    search_methods,
    thread_methods,
)

FEED: Final = "app.bsky.feed"
UNSPECCED: Final = "app.bsky.unspecced"

FEED_READS: Final[dict[str, Callable[..., Any]]] = {
    f"{FEED}.getFeedGenerator": feed_generators.get_feed_generator,
    f"{FEED}.getFeedGenerators": feed_generators.get_feed_generators,
    f"{FEED}.getActorFeeds": feed_generators.get_actor_feeds,
    f"{FEED}.getSuggestedFeeds": feed_generators.get_suggested_feeds,
    f"{FEED}.getFeed": feed_get.get_feed,
    f"{FEED}.getPosts": post_methods.get_posts,
    f"{FEED}.getLikes": post_methods.get_likes,
    f"{FEED}.getRepostedBy": post_methods.get_reposted_by,
    f"{FEED}.getQuotes": post_methods.get_quotes,
    f"{FEED}.getActorLikes": post_methods.get_actor_likes,
    f"{FEED}.getAuthorFeed": feed_methods.get_author_feed,
    f"{FEED}.getListFeed": feed_methods.get_list_feed,
    f"{FEED}.searchPosts": search_methods.search_posts,
    f"{FEED}.getPostThread": thread_methods.get_post_thread,
    f"{UNSPECCED}.getPostThreadV2": thread_methods.get_post_thread_v2,
    f"{UNSPECCED}.getPostThreadOtherV2": thread_methods.get_post_thread_other_v2,
}
"""Views of the index: a session, or anyone with ``public_reads``."""

BOOKMARK: Final = "app.bsky.bookmark"

FEED_OWN: Final[dict[str, Callable[..., Any]]] = {
    f"{FEED}.getTimeline": feed_methods.get_timeline,
    f"{BOOKMARK}.createBookmark": bookmark_methods.create_bookmark,
    f"{BOOKMARK}.deleteBookmark": bookmark_methods.delete_bookmark,
    f"{BOOKMARK}.getBookmarks": bookmark_methods.get_bookmarks,
}
"""The caller's own feed and bookmarks: a session is required."""

FEED_GENERATOR: Final[dict[str, Callable[..., Any]]] = {
    f"{FEED}.getFeedSkeleton": feed_generator_service.get_feed_skeleton,
    f"{FEED}.describeFeedGenerator": feed_generator_service.describe_feed_generator,
}
"""This server as a feed generator service: anyone, a viewer's service JWT or a session."""
