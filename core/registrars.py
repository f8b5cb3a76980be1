"""The objects registration hooks receive: each records what one plugin adds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exprsn_pds.events.consumers import (
    DEFAULT_MAX_EVENTS,
    BatchHandler,
    Consumer,
    EventHandler,
    StartAt,
)
from exprsn_pds.lexicon import LexiconRegistry
from exprsn_pds.ratelimit.rules import LimitUse, RateLimit
from exprsn_pds.storage import ModelApp
from exprsn_pds.xrpc.types import XrpcMethod

if TYPE_CHECKING:
    import click

    from exprsn_pds.auth import AuthVerifier


class PluginStartupError(Exception):
    """A plugin registered something inconsistent; start-up stops."""


class LexiconRegistrar:
    """Adds one plugin's lexicon documents to the shared registry."""

    def __init__(self, registry: LexiconRegistry, plugin: str) -> None:
        self._registry = registry
        self.plugin = plugin

    def add_folder(self, path: Path | str) -> None:
        """Load every ``*.json`` lexicon document under ``path`` (recursively)."""
        self._registry.add_folder(Path(path), source=f"plugin {self.plugin}: {path}")

    def add_document(self, document: dict[str, Any]) -> None:
        """Add one lexicon document given as a dict."""
        self._registry.add_document(document, source=f"plugin {self.plugin}")


class ModelRegistrar:
    """Collects the tortoise apps (models + migrations) plugins own."""

    def __init__(self, apps: list[ModelApp], plugin: str) -> None:
        self._apps = apps
        self.plugin = plugin

    def add(self, label: str, *, models: Sequence[str], migrations: str) -> None:
        """Declare app ``label`` with its model modules and migrations package."""
        if any(app.label == label for app in self._apps):
            raise PluginStartupError(f"plugin {self.plugin}: model app {label!r} already exists")
        self._apps.append(ModelApp(label=label, models=list(models), migrations=migrations))


class XrpcRegistrar:
    """Collects XRPC handlers; the dispatcher's table is built from it once."""

    def __init__(
        self, methods: dict[str, XrpcMethod], lexicons: LexiconRegistry, plugin: str
    ) -> None:
        self._methods = methods
        self._lexicons = lexicons
        self.plugin = plugin

    def add(
        self,
        nsid: str,
        handler: Callable[..., Any],
        *,
        auth: AuthVerifier | None = None,
        max_body_bytes: int | None = None,
        rate_limits: Sequence[RateLimit | LimitUse] = (),
    ) -> None:
        """Serve ``nsid`` (defined by a loaded lexicon) with ``handler``.

        ``auth`` verifies the caller before the handler runs (``None``: public);
        ``max_body_bytes`` overrides the configured request body limit; ``rate_limits``
        are charged to every call (one point each, unless given as
        ``limit.costing(points)``), on top of the global limit.
        """
        kind = self._lexicons.main_type(nsid)
        if kind not in ("query", "procedure", "subscription"):
            raise PluginStartupError(
                f"plugin {self.plugin}: {nsid} is not a query, procedure or subscription"
                f" in any loaded lexicon"
            )
        if nsid in self._methods:
            other = self._methods[nsid].plugin
            raise PluginStartupError(
                f"plugin {self.plugin}: {nsid} is already served by plugin {other}"
            )
        self._methods[nsid] = XrpcMethod(
            nsid=nsid,
            kind=kind,
            handler=handler,
            plugin=self.plugin,
            auth=auth,
            max_body_bytes=max_body_bytes,
            rate_limits=tuple(
                use if isinstance(use, LimitUse) else LimitUse(use) for use in rate_limits
            ),
        )


#: ``async def handler(pds, **path_variables)``: the rule's ``<name>`` parts as keywords.
RouteHandler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """A plain HTTP route registered by a plugin."""

    path: str
    handler: RouteHandler
    methods: tuple[str, ...]
    plugin: str


class RouteRegistrar:
    """Collects plain HTTP routes (outside ``/xrpc/<nsid>``)."""

    def __init__(self, routes: list[Route], plugin: str) -> None:
        self._routes = routes
        self.plugin = plugin

    def add(self, path: str, handler: RouteHandler, *, methods: Sequence[str] = ("GET",)) -> None:
        """Serve ``path`` (Quart rule syntax) with ``handler(pds)``; the rule's variables
        (``/img/<preset>/<name>``) arrive as keyword arguments: ``handler(pds, preset=...,
        name=...)``, percent-decoded, as strings unless a converter says otherwise."""
        for route in self._routes:
            if route.path == path and set(route.methods) & set(methods):
                raise PluginStartupError(
                    f"plugin {self.plugin}: route {path} is already served by plugin {route.plugin}"
                )
        self._routes.append(Route(path, handler, tuple(methods), self.plugin))


class ConsumerRegistrar:
    """Collects durable consumers of the event log (see :mod:`exprsn_pds.events.consumers`)."""

    def __init__(self, consumers: list[Consumer], plugin: str) -> None:
        self._consumers = consumers
        self.plugin = plugin

    def add(
        self,
        name: str,
        on_event: EventHandler,
        *,
        start_at: StartAt = "beginning",
        max_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        """Run consumer ``name``: ``await on_event(event)`` for every event, in order.

        ``start_at`` places a consumer this database has not seen: before the oldest
        retained event (``"beginning"``) or after the newest (``"now"``); after that its
        stored cursor decides. ``max_events`` is how many events are read at a time.
        """
        self._add(name, on_event, None, start_at, max_events)

    def add_batch(
        self,
        name: str,
        on_batch: BatchHandler,
        *,
        start_at: StartAt = "beginning",
        max_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        """Run consumer ``name``: ``await on_batch(events)`` with up to ``max_events`` at once.

        The cursor moves past the whole batch when ``on_batch`` returns; when it raises,
        the same events (and perhaps newer ones) come again. ``start_at`` as in :meth:`add`.
        """
        self._add(name, None, on_batch, start_at, max_events)

    def _add(
        self,
        name: str,
        on_event: EventHandler | None,
        on_batch: BatchHandler | None,
        start_at: StartAt,
        max_events: int,
    ) -> None:
        for other in self._consumers:
            if other.name == name:
                raise PluginStartupError(
                    f"plugin {self.plugin}: consumer {name!r} is already registered"
                    f" by plugin {other.plugin}"
                )
        try:
            consumer = Consumer(
                name=name,
                plugin=self.plugin,
                on_event=on_event,
                on_batch=on_batch,
                start_at=start_at,
                max_events=max_events,
            )
        except ValueError as error:
            raise PluginStartupError(f"plugin {self.plugin}: {error}") from None
        self._consumers.append(consumer)


class CommandRegistrar:
    """Collects the ``pds`` sub-commands plugins add (click commands or groups)."""

    def __init__(self, commands: dict[str, click.Command], plugin: str) -> None:
        self._commands = commands
        self.plugin = plugin
        self._owners: dict[str, str] = {}

    def add(self, command: click.Command) -> None:
        """Add ``command`` (named by its ``name``) to ``pds``; a name taken twice stops
        start-up. Built-in verbs keep their names: ``pds`` refuses a plugin's that clashes."""
        name = command.name
        if not name:
            raise PluginStartupError(f"plugin {self.plugin}: a command needs a name")
        if name in self._commands:
            raise PluginStartupError(
                f"plugin {self.plugin}: command {name} is already added by another plugin"
            )
        self._commands[name] = command
