"""The plugin manager: discovery, enable/disable, config sections, hook calls.

Plugins are discovered through the ``exprsn_pds.plugins`` entry-point group (built-ins
are listed there too, nothing is special about them). Config enables and disables
them by name; the essential ones cannot be disabled.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import jsonschema
import pluggy

from exprsn_pds import hookspecs
from exprsn_pds.config import ConfigError, Settings

ENTRY_POINT_GROUP = "exprsn_pds.plugins"
ESSENTIAL_PLUGINS: frozenset[str] = frozenset({"server", "repo", "sync", "blob", "identity"})


@dataclass
class PluginInfo:
    """What ``pds plugins list`` shows about one plugin."""

    name: str
    version: str
    enabled: bool
    essential: bool
    namespaces: list[str] = field(default_factory=list)


class PluginHost:
    """A typed facade over the pluggy manager."""

    def __init__(self, manager: pluggy.PluginManager, infos: list[PluginInfo]) -> None:
        self.manager = manager
        self.infos = infos

    @property
    def enabled_names(self) -> list[str]:
        """Names of the registered plugins, in registration order."""
        return [info.name for info in self.infos if info.enabled]

    def call_each(
        self, hook_name: str, arguments: Callable[[str], Mapping[str, Any]]
    ) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook_name`` with per-plugin ``arguments(plugin)``.

        Registration hooks use this so each registrar knows which plugin it serves.
        Implementations receive only the arguments they name (pluggy's opt-in rule).
        Results come back in registration order.
        """
        caller = getattr(self.manager.hook, hook_name)
        results: list[tuple[str, Any]] = []
        for implementation in caller.get_hookimpls():
            plugin = implementation.plugin_name
            offered = arguments(plugin)
            chosen = {name: offered[name] for name in implementation.argnames}
            results.append((plugin, implementation.function(**chosen)))
        return results

    async def call_each_async(
        self, hook_name: str, arguments: Callable[[str], Mapping[str, Any]]
    ) -> None:
        """Like :meth:`call_each`, awaiting whatever an implementation returns."""
        for _, result in self.call_each(hook_name, arguments):
            if inspect.isawaitable(result):
                await result


def load_plugins(
    settings: Settings, extra_plugins: Iterable[tuple[str, object]] = ()
) -> PluginHost:
    """Discover, filter and register plugins; check their config sections.

    ``extra_plugins`` (name, module-or-object) are registered after the discovered
    ones: tests use it for temporary plugins.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    extras = dict(extra_plugins)
    discovered = {
        ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in extras
    }
    _check_names(settings, set(discovered) | set(extras))
    infos: list[PluginInfo] = []
    for name in sorted(discovered, key=lambda n: (n not in ESSENTIAL_PLUGINS, n)):
        entry_point = discovered[name]
        enabled = _is_enabled(name, settings)
        infos.append(PluginInfo(name, _version(entry_point), enabled, name in ESSENTIAL_PLUGINS))
        if enabled:
            manager.register(entry_point.load(), name=name)
        else:
            manager.set_blocked(name)
    for name, plugin in extras.items():
        manager.register(plugin, name=name)
        infos.append(PluginInfo(name, "", True, False))
    manager.hook.pds_addhooks.call_historic(kwargs={"plugin_manager": manager})
    manager.check_pending()
    host = PluginHost(manager, infos)
    _check_config_sections(host, settings, known=set(discovered) | set(extras))
    return host


def _is_enabled(name: str, settings: Settings) -> bool:
    if name in ESSENTIAL_PLUGINS:
        return True
    if name in settings.disabled_plugins:
        return False
    return not settings.enabled_plugins or name in settings.enabled_plugins


def _check_names(settings: Settings, known: set[str]) -> None:
    for key, names in (
        ("plugins.disabled", settings.disabled_plugins),
        ("plugins.enabled", settings.enabled_plugins),
    ):
        for name in names:
            if name not in known:
                raise ConfigError(f"{key}: no plugin named {name!r} is installed")
    for name in settings.disabled_plugins:
        if name in ESSENTIAL_PLUGINS:
            raise ConfigError(f"plugins.disabled: {name!r} is essential and cannot be disabled")


def _check_config_sections(host: PluginHost, settings: Settings, known: set[str]) -> None:
    for name in settings.plugin_sections:
        if name not in known:
            raise ConfigError(f"plugins.{name}: no plugin named {name!r} is installed")
    schemas = dict(host.call_each("pds_config_schema", lambda _plugin: {}))
    for name in host.enabled_names:
        schema = schemas.get(name) or {"type": "object", "additionalProperties": False}
        section = settings.plugin_config(name)
        validator = jsonschema.Draft202012Validator(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(section))
        if error is not None:
            path = ".".join(["plugins", name, *(str(p) for p in error.absolute_path)])
            raise ConfigError(f"{path}: {error.message}")


def _version(entry_point: EntryPoint) -> str:
    distribution = entry_point.dist
    return distribution.version if distribution is not None else ""
