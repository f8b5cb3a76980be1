"""The server context every hook and handler receives."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx

from exprsn_pds import __version__
from exprsn_pds.accounts import MODEL_APP as ACCOUNTS_MODEL_APP
from exprsn_pds.accounts.email_tokens import EmailTokens
from exprsn_pds.accounts.reserved_keys import ReservedKeys
from exprsn_pds.accounts.revocation import TokenRevocations
from exprsn_pds.accounts.service import AccountService
from exprsn_pds.accounts.sessions import SessionManager
from exprsn_pds.blobs import BlobService, BlobStore
from exprsn_pds.cache import Cache, CacheStats, create_cache
from exprsn_pds.config import Settings
from exprsn_pds.crypto import KeyringSource
from exprsn_pds.events import MODEL_APP as EVENTS_MODEL_APP
from exprsn_pds.events import CrawlerNotifier, EventLog, EventPurger, FirehoseHub
from exprsn_pds.events.consumers import Consumer, ConsumerTimings, DurableConsumers
from exprsn_pds.events.on_event import PluginEventListener
from exprsn_pds.feeds import FeedAlgorithm, collect_algorithms
from exprsn_pds.identity import IdentityService
from exprsn_pds.images import ImageUrls
from exprsn_pds.lexicon import LexiconRegistry, lexrpc_lexicon_folder
from exprsn_pds.lexicons import FOLDER as PROJECT_LEXICONS
from exprsn_pds.logs import get_logger
from exprsn_pds.mail import Mailer
from exprsn_pds.plugin_host import PluginHost, load_plugins
from exprsn_pds.ratelimit import LimitUse, RateLimiter
from exprsn_pds.ratelimit.official import GLOBAL_IP
from exprsn_pds.registrars import (
    CommandRegistrar,
    ConsumerRegistrar,
    LexiconRegistrar,
    ModelRegistrar,
    PluginStartupError,
    Route,
    RouteRegistrar,
    XrpcRegistrar,
)
from exprsn_pds.repo import MODEL_APP as REPO_MODEL_APP
from exprsn_pds.repo.blocks import BlockCache
from exprsn_pds.repo.checks import PluginRecordCheck
from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.mst import NodeCache
from exprsn_pds.repo.reader import RepoReader
from exprsn_pds.repo.service import RepoService
from exprsn_pds.repo.writer import RepoWriter, WriteLimits
from exprsn_pds.storage import Database, ModelApp
from exprsn_pds.syntax import TidClock
from exprsn_pds.xrpc.types import XrpcMethod

HTTP_TIMEOUT_S = 10.0
USER_AGENT = f"exprsn-pds/{__version__}"

CORE_MODEL_APPS = (ACCOUNTS_MODEL_APP, REPO_MODEL_APP, EVENTS_MODEL_APP)

log = get_logger(__name__)

_T = TypeVar("_T")


def _opened(value: _T | None, what: str) -> _T:
    """``value``, which :meth:`Pds.start` opens; ``what`` names it in the error before then."""
    if value is None:
        raise RuntimeError(f"{what} is opened when the server starts")
    return value


class Pds:
    """Settings, plugins, lexicons and the shared services (database, cache, HTTP).

    Everything that can fail is checked in the constructor (start-up, not first
    request); :meth:`start` opens connections and :meth:`stop` closes them.
    """

    version = __version__

    def __init__(self, settings: Settings, extra_plugins: Iterable[tuple[str, object]] = ()):
        self.settings = settings
        self.plugins: PluginHost = load_plugins(settings, extra_plugins)
        self._mailer: Mailer | None = self.plugins.manager.hook.pds_mailer(pds=self)
        self.lexicons = self._load_lexicons()
        self.model_apps: list[ModelApp] = list(CORE_MODEL_APPS)
        self.plugins.call_per_plugin(
            "pds_register_models",
            lambda plugin: {"register": ModelRegistrar(self.model_apps, plugin)},
        )
        self.methods: dict[str, XrpcMethod] = {}
        self.plugins.call_per_plugin(
            "pds_register_xrpc",
            lambda plugin: {
                "registry": XrpcRegistrar(self.methods, self.lexicons, plugin),
                "pds": self,
            },
        )
        self.routes: list[Route] = []
        self.plugins.call_per_plugin(
            "pds_register_routes",
            lambda plugin: {"routes": RouteRegistrar(self.routes, plugin), "pds": self},
        )
        self._record_namespaces()
        self.database = Database(
            settings.database_url,
            self.model_apps,
            settings.data_directory,
            pool_max_size=settings.database_pool_max_size,
            snapshot_pool_max_size=settings.database_snapshot_pool_max_size,
        )
        self.blobs = BlobService(
            self._blob_store(),
            self.database,
            upload_limit_bytes=settings.blob_upload_limit_bytes,
            account_quota_bytes=settings.blob_account_quota_bytes,
            temp_grace_s=settings.blob_temp_grace_s,
            gc_interval_s=settings.blob_gc_interval_s,
        )
        self.image_urls = ImageUrls.from_settings(settings)
        self._cache: Cache | None = None
        self.cache_stats = CacheStats()
        """Hits and misses of the caches built on :attr:`cache`, by cache name: a plugin
        caching views records its lookups here (``pds_cache_requests_total``)."""
        self.rate_limiter = RateLimiter(
            enabled=settings.rate_limits_enabled,
            redis_url=settings.redis_url,
            redis_key_prefix=settings.redis_key_prefix,
        )
        self.global_rate_limits: tuple[LimitUse, ...] = (LimitUse(GLOBAL_IP),)
        self._http: httpx.AsyncClient | None = None
        self.sessions = SessionManager(
            settings,
            TokenRevocations(
                settings.access_token_ttl_s,
                check_interval_s=settings.revocation_check_interval_s,
            ),
        )
        self.email_tokens = EmailTokens(ttl_s=settings.email_token_ttl_s)
        self.reserved_keys = ReservedKeys(ttl_s=settings.reserved_signing_key_ttl_s)
        self.tid_clock = TidClock()
        self.repo_cache = BlockCache(settings.repo_block_cache_bytes)
        self.mst_nodes = NodeCache()
        self.repo_reader = RepoReader(self.repo_cache, self.mst_nodes, self.database)
        self.firehose = FirehoseHub(
            queue_max_events=settings.firehose_queue_max_events,
            queue_max_bytes=settings.firehose_queue_max_bytes,
            max_subscribers=settings.firehose_max_subscribers,
            max_subscribers_per_client=settings.firehose_max_subscribers_per_ip,
        )
        self.event_log = EventLog(
            self.database,
            self.firehose,
            listener=PluginEventListener(self.plugins, self),
            on_repo_change=self._notify_crawlers,
        )
        self.identity = IdentityService(settings, database=self.database, events=self.event_log)
        self.accounts = AccountService(self)
        self.repos = RepoService(self)
        self.event_purger = EventPurger(
            retention_s=settings.event_retention_s, interval_s=settings.event_purge_interval_s
        )
        consumers: list[Consumer] = []
        self.plugins.call_per_plugin(
            "pds_register_consumers",
            lambda plugin: {"register": ConsumerRegistrar(consumers, plugin), "pds": self},
        )
        self.consumers = DurableConsumers(
            consumers,
            self.firehose,
            ConsumerTimings(
                poll_interval_s=settings.consumer_poll_interval_s,
                lease_ttl_s=settings.consumer_lease_ttl_s,
                retry_first_delay_s=settings.consumer_retry_first_delay_s,
                retry_max_delay_s=settings.consumer_retry_max_delay_s,
                stop_timeout_s=settings.consumer_stop_timeout_s,
            ),
            self.database,
        )
        self.commands: dict[str, click.Command] = {}
        self.plugins.call_per_plugin(
            "pds_register_commands",
            lambda plugin: {"commands": CommandRegistrar(self.commands, plugin), "pds": self},
        )
        self.feed_algorithms: dict[str, FeedAlgorithm] = collect_algorithms(
            self.plugins.call_per_plugin("pds_feed_algorithms", lambda _plugin: {"pds": self})
        )
        """The feeds this server generates (``pds_feed_algorithms``), by name."""
        self._repo_writer: RepoWriter | None = None
        self._crawlers: CrawlerNotifier | None = None

    def _blob_store(self) -> BlobStore:
        store: BlobStore | None = self.plugins.manager.hook.pds_blobstore(pds=self)
        if store is None:
            raise PluginStartupError(
                "no plugin provides a blob store (pds_blobstore): enable the blob plugin"
            )
        return store

    @property
    def has_mailer(self) -> bool:
        """Whether a plugin provides a mailer (``pds_mailer``)."""
        return self._mailer is not None

    @property
    def mailer(self) -> Mailer:
        """The mailer chosen through ``pds_mailer`` (SMTP, or the outbox by default)."""
        if self._mailer is None:
            raise PluginStartupError(
                "no plugin provides a mailer (pds_mailer): enable the mailer plugin"
            )
        return self._mailer

    @property
    def repo_writer(self) -> RepoWriter:
        """The write path (needs the master keyring, opened at start)."""
        return _opened(self._repo_writer, "the repo writer")

    @property
    def crawlers(self) -> CrawlerNotifier:
        """Asks the configured relays to crawl this server (rate-limited)."""
        return _opened(self._crawlers, "the crawler notifier")

    def _notify_crawlers(self) -> None:
        if self._crawlers is not None:
            self._crawlers.notify()

    @property
    def cache(self) -> Cache:
        """The shared cache (in-process, or Redis when configured)."""
        return _opened(self._cache, "the cache")

    def open_cache(self) -> Cache:
        """Open the shared cache (if not yet open) and answer it: :meth:`start` does, and
        so does a command that runs without the server but must reach its cache (to
        invalidate what it changed); :meth:`close_cache` closes it."""
        if self._cache is None:
            self._cache = create_cache(
                self.settings.redis_url, key_prefix=self.settings.redis_key_prefix
            )
        return self._cache

    async def close_cache(self) -> None:
        """Close the shared cache, if open (:meth:`stop` does)."""
        if self._cache is not None:
            await self._cache.close()
            self._cache = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The one shared outgoing HTTP client."""
        return _opened(self._http, "the HTTP client")

    async def start(self) -> None:
        """Open the database (migrated when configured), cache, rate-limit counters and HTTP
        client; start plugins, then the durable consumers.

        A start that fails part way closes what it had opened (plugins that had started
        are shut down) before the error propagates, so another may be tried in the
        same process.
        """
        started: list[str] = []
        try:
            await self._open(started)
        except BaseException:
            await self._close(self._plugins_to_stop(started))
            raise

    async def _open(self, started: list[str]) -> None:
        self.settings.data_directory.mkdir(parents=True, exist_ok=True)
        await self.database.connect()
        if self.settings.migrate_on_start:
            applied = await self.database.migrate()
            if applied:
                log.info("migrations applied", migrations=applied)
        self._cache = self.open_cache()
        await self.rate_limiter.open()
        self._http = httpx.AsyncClient(
            timeout=HTTP_TIMEOUT_S, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )
        self.identity.open(cache=self._cache, http=self._http)
        self.sessions.revocations.open(self._cache)
        await self.firehose.start(self._cache)
        self.event_purger.start()
        self._crawlers = CrawlerNotifier(
            self._http,
            list(self.settings.crawlers),
            self.settings.hostname,
            interval_s=self.settings.crawl_interval_s,
        )
        self._repo_writer = self._open_repo_writer()
        for plugin in self.plugins.plugin_order("pds_startup"):
            await self.plugins.call_per_plugin_async(
                "pds_startup", lambda _plugin: {"pds": self}, [plugin]
            )
            started.append(plugin)
        self.consumers.start()

    def _plugins_to_stop(self, started: list[str]) -> list[str]:
        """After a failed start: the plugins of :meth:`stop_order` that did start."""
        starting = set(self.plugins.plugin_order("pds_startup"))
        return [
            name for name in self.plugins.stop_order() if name in started or name not in starting
        ]

    def _open_repo_writer(self) -> RepoWriter:
        source = KeyringSource(self.settings.data_directory, self.settings.key_encryption_keys)
        return RepoWriter(
            database=self.database,
            keys=RepoKeys(source.load(), source),
            events=self.event_log,
            check_record=PluginRecordCheck(self.plugins, self),
            cache=self.repo_cache,
            nodes=self.mst_nodes,
            blobs=self.blobs,
            clock=self.tid_clock,
            limits=WriteLimits(
                max_operations=self.settings.repo_max_writes_per_commit,
                max_block_bytes=self.settings.repo_max_commit_block_bytes,
            ),
        )

    async def stop(self) -> None:
        """Stop durable consumers, then plugins (in the reverse of their start order), then
        close what :meth:`start` opened."""
        await self._close(self.plugins.stop_order())

    async def _close(self, plugins: list[str]) -> None:
        await self.consumers.stop()
        await self.plugins.call_per_plugin_async(
            "pds_shutdown", lambda _plugin: {"pds": self}, plugins
        )
        if self._crawlers is not None:
            await self._crawlers.close()
            self._crawlers = None
        await self.event_purger.stop()
        await self.firehose.stop()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await self.rate_limiter.close()
        await self.close_cache()
        await self.database.close()

    def _load_lexicons(self) -> LexiconRegistry:
        registry = LexiconRegistry()
        registry.add_folder(
            lexrpc_lexicon_folder(),
            namespaces=list(self.settings.official_lexicon_namespaces),
            source="lexrpc",
        )
        registry.add_folder(PROJECT_LEXICONS, source="exprsn-pds lexicons/")
        self.plugins.call_per_plugin(
            "pds_register_lexicons",
            lambda plugin: {"register": LexiconRegistrar(registry, plugin)},
        )
        for path in self.settings.lexicon_paths:
            registry.add_folder(Path(path), source=f"lexicons.paths: {path}")
        registry.freeze()
        return registry

    def _record_namespaces(self) -> None:
        served: dict[str, set[str]] = {}
        for method in self.methods.values():
            served.setdefault(method.plugin, set()).add(method.nsid.rsplit(".", 1)[0])
        for info in self.plugins.infos:
            info.namespaces = sorted(served.get(info.name, set()))

    def describe(self) -> dict[str, Any]:
        """A short summary for logs: version, plugins, method count."""
        return {
            "version": self.version,
            "plugins": self.plugins.enabled_names,
            "xrpc_methods": len(self.methods),
        }
