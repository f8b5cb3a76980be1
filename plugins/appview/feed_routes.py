"""Which handler serves each ``app.bsky.feed`` method the AppView answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from exprsn_pds.plugins.appview import feed_generators

FEED: Final = "app.bsky.feed"

FEED_READS: Final[dict[str, Callable[..., Any]]] = {
    f"{FEED}.getFeedGenerator": feed_generators.get_feed_generator,
    f"{FEED}.getFeedGenerators": feed_generators.get_feed_generators,
    f"{FEED}.getActorFeeds": feed_generators.get_actor_feeds,
    f"{FEED}.getSuggestedFeeds": feed_generators.get_suggested_feeds,
}
"""Views of the index: a session, or anyone with ``public_reads``."""
