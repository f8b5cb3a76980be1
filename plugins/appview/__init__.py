"""The ``appview`` plugin: the built-in AppView's index and its ``app.bsky.actor`` and
``app.bsky.graph`` methods.

The index (``models.py``, tables ``appview_*`` in the server's database) holds every
``app.bsky.*`` record of the accounts hosted here, the aggregate counts and private
per-account state (mutes, subscriptions, preferences). It is kept from the event log by the
durable consumer ``appview.index`` and, for read-after-write, by ``pds_on_event`` before a
write's response returns; both apply events idempotently (``indexer.py``). ``pds appview
reindex`` rebuilds it from the repos (``reindex.py``). Views are built as skeleton →
hydration (``hydrate.py``) → rules → presentation (``views.py``). See ``docs/appview.md``.

``[plugins.appview]``: ``public_reads`` (default false: ``app.bsky.*`` without a session is
401 ``AuthMissing``), ``labelers`` (DIDs answered in ``atproto-content-labelers`` when the
client names none), ``suggested_actors`` (the curated ``getSuggestions``),
``suggested_feeds`` (feed generator URIs, the curated ``getSuggestedFeeds``),
``known_followers_max`` (default 5), ``feed_timeout_s`` (how long ``getFeed`` waits for
another feed generator, default 10). Disabled (``PDS_DISABLE_PLUGINS=appview``), every
``app.bsky.*`` method answers 501 ``MethodNotImplemented``.
"""

from __future__ import annotations

from typing import Any, Final
from weakref import WeakKeyDictionary

from exprsn_pds import (
    AnyEvent,
    CommandRegistrar,
    ConsumerRegistrar,
    FeedAlgorithm,
    ModelRegistrar,
    Pds,
    XrpcRegistrar,
    access_auth,
    hookimpl,
)
from exprsn_pds.plugins.appview import actors, preferences
from exprsn_pds.plugins.appview.cli import appview_commands
from exprsn_pds.plugins.appview.common import session_auth, viewer_auth
from exprsn_pds.plugins.appview.feed_algorithms import BUILT_IN
from exprsn_pds.plugins.appview.feed_generator_service import skeleton_auth
from exprsn_pds.plugins.appview.feed_routes import FEED_GENERATOR, FEED_OWN, FEED_READS
from exprsn_pds.plugins.appview.graph_routes import GRAPH_OWN, GRAPH_READS
from exprsn_pds.plugins.appview.indexer import Indexer
from exprsn_pds.plugins.appview.notification_registry import register_notification_methods
from exprsn_pds.plugins.appview.settings import PLUGIN_NAME
from exprsn_pds.plugins.appview.stream_hub import hub_of

CONSUMER: Final = "appview.index"
ACTOR: Final = "app.bsky.actor"

READS: Final = {
    f"{ACTOR}.getProfile": actors.get_profile,
    f"{ACTOR}.getProfiles": actors.get_profiles,
    f"{ACTOR}.searchActors": actors.search_actors,
    f"{ACTOR}.searchActorsTypeahead": actors.search_actors_typeahead,
    f"{ACTOR}.getSuggestions": actors.get_suggestions,
}
"""Views of the index: a session, or anyone with ``public_reads``."""


@hookimpl
def pds_config_schema() -> dict[str, Any]:
    """``[plugins.appview]``: ``public_reads``, ``labelers``, ``suggested_actors``,
    ``suggested_feeds``, ``known_followers_max``, ``feed_timeout_s``."""
    dids = {"type": "array", "items": {"type": "string", "pattern": "^did:"}, "maxItems": 100}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "public_reads": {"type": "boolean"},
            "labelers": dids,
            "suggested_actors": {"type": "array", "items": {"type": "string"}, "maxItems": 1000},
            "suggested_feeds": {
                "type": "array",
                "items": {"type": "string", "pattern": "^at://"},
                "maxItems": 1000,
            },
            "known_followers_max": {"type": "integer", "minimum": 0, "maximum": 100},
            "feed_timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 60},
            "trusted_verifiers": dids,
        },
    }


@hookimpl
def pds_register_models(register: ModelRegistrar) -> None:
    """The ``appview`` app: the index tables and their migrations."""
    register.add(
        PLUGIN_NAME,
        models=[
            "exprsn_pds.plugins.appview.models",
            "exprsn_pds.plugins.appview.notification_models",
            "exprsn_pds.plugins.appview.thread_models",
        ],
        migrations="exprsn_pds.plugins.appview.migrations",
    )


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve the ``app.bsky.actor``, ``app.bsky.graph``, ``app.bsky.notification`` and
    ``app.bsky.feed`` methods."""
    for nsid, handler in READS.items():
        registry.add(nsid, handler, auth=viewer_auth)
    for nsid, handler in FEED_READS.items():
        registry.add(nsid, handler, auth=viewer_auth)
    for nsid, handler in FEED_OWN.items():
        registry.add(nsid, handler, auth=session_auth)
    for nsid, handler in FEED_GENERATOR.items():
        registry.add(nsid, handler, auth=skeleton_auth)
    for nsid, handler in GRAPH_READS.items():
        registry.add(nsid, handler, auth=viewer_auth)
    for nsid, handler in GRAPH_OWN.items():
        registry.add(nsid, handler, auth=access_auth)
    registry.add(f"{ACTOR}.getPreferences", preferences.get_preferences, auth=access_auth)
    registry.add(f"{ACTOR}.putPreferences", preferences.put_preferences, auth=access_auth)
    register_notification_methods(registry)


@hookimpl
def pds_feed_algorithms() -> list[FeedAlgorithm]:
    """The built-in feeds: ``recent`` and ``popular-follows`` (``feed_algorithms.py``)."""
    return list(BUILT_IN)


_INDEXERS: WeakKeyDictionary[Pds, Indexer] = WeakKeyDictionary()


def indexer_of(pds: Pds) -> Indexer:
    """The one :class:`Indexer` of ``pds``, shared by the consumer and ``pds_on_event``."""
    if pds not in _INDEXERS:
        _INDEXERS[pds] = Indexer(pds)
    return _INDEXERS[pds]


@hookimpl
def pds_register_consumers(register: ConsumerRegistrar, pds: Pds) -> None:
    """Keep the index with the durable consumer ``appview.index``."""
    register.add(CONSUMER, indexer_of(pds).apply)


@hookimpl
async def pds_on_event(pds: Pds, event: AnyEvent) -> None:
    """Index this process's events before the write's response returns (read-after-write).

    The consumer sees the same events again later: the indexer passes over those it
    applied, and the index skips what it holds.
    """
    await indexer_of(pds).apply(event)


@hookimpl
def pds_register_commands(commands: CommandRegistrar, pds: Pds) -> None:
    """``pds appview reindex [--did DID]`` and ``pds appview publish-feeds --account HANDLE``."""
    commands.add(appview_commands(pds))


@hookimpl
async def pds_shutdown(pds: Pds) -> None:
    """End the live notification streams and their channel subscription."""
    await hub_of(pds).stop()
