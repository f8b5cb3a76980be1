"""The plugin manager: discovery, enable/disable, config sections, hook calls.

Plugins are discovered through the ``exprsn_pds.plugins`` entry-point group (built-ins
are listed there too, nothing is special about them). Config enables and disables
them by name; the essential ones cannot be disabled.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import jsonschema
import pluggy

from exprsn_pds import hookspecs
from exprsn_pds.config import ConfigError, Settings
from exprsn_pds.registrars import PluginStartupError

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

    def plugin_order(self, hook_name: str) -> list[str]:
        """Plugins implementing ``hook_name`` (wrappers aside), in the order pluggy calls them.

        That is pluggy's documented order: ``tryfirst`` implementations first,
        ``trylast`` ones last, the unmarked ones in between, last-registered first.
        """
        caller: pluggy.HookCaller = getattr(self.manager.hook, hook_name)
        implementations = reversed(caller.get_hookimpls())
        return list(
            dict.fromkeys(i.plugin_name for i in implementations if not _is_wrapper(i))
        )

    def call_per_plugin(
        self, hook_name: str, arguments: Callable[[str], Mapping[str, Any]]
    ) -> list[tuple[str, list[Any]]]:
        """Call ``hook_name`` through pluggy once per plugin, with ``arguments(plugin)``.

        Registration hooks use this so each registrar knows which plugin it serves.
        Plugins are called in :meth:`plugin_order`; each call is pluggy's own, so every
        wrapper implementation of the hook wraps it (a plugin that both wraps and
        implements the hook wraps only its own call). Returns each plugin's results
        (pluggy's list of non-``None`` answers).
        """
        return list(self._calls(hook_name, arguments, None))

    async def call_per_plugin_async(
        self,
        hook_name: str,
        arguments: Callable[[str], Mapping[str, Any]],
        plugins: Sequence[str] | None = None,
    ) -> None:
        """Like :meth:`call_per_plugin`, awaiting each plugin's awaitables before the next.

        ``plugins`` gives another order (e.g. :meth:`stop_order`) than :meth:`plugin_order`.
        """
        for _, results in self._calls(hook_name, arguments, plugins):
            for result in results:
                if inspect.isawaitable(result):
                    await result

    def stop_order(self) -> list[str]:
        """Plugins implementing ``pds_shutdown``, in the reverse of the order they started.

        A plugin starts when its ``pds_startup`` runs; one without ``pds_startup``
        counts as started when it was registered, before any ``pds_startup``, so it
        stops after every plugin that has one.
        """
        stopping = set(self.plugin_order("pds_shutdown"))
        started = self.plugin_order("pds_startup")
        registered = [name for name in self.enabled_names if name not in started]
        return [name for name in reversed(registered + started) if name in stopping]

    def _calls(
        self,
        hook_name: str,
        arguments: Callable[[str], Mapping[str, Any]],
        plugins: Sequence[str] | None,
    ) -> Iterator[tuple[str, list[Any]]]:
        order = self.plugin_order(hook_name)
        implementers = {self.manager.get_plugin(name) for name in order}
        for name in order if plugins is None else plugins:
            others = implementers - {self.manager.get_plugin(name)}
            caller = self.manager.subset_hook_caller(hook_name, remove_plugins=others)
            yield name, caller(**arguments(name))


def _is_wrapper(implementation: pluggy.HookImpl) -> bool:
    return bool(implementation.wrapper or implementation.hookwrapper)


def _check_shutdown_order(manager: pluggy.PluginManager) -> None:
    """``pds_shutdown`` follows the start order, so its own order markers would be ignored."""
    for implementation in manager.hook.pds_shutdown.get_hookimpls():
        if not _is_wrapper(implementation) and (
            implementation.tryfirst or implementation.trylast
        ):
            raise PluginStartupError(
                f"plugin {implementation.plugin_name}: pds_shutdown runs in the reverse of the"
                f" start order; mark pds_startup with tryfirst/trylast instead"
            )


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
    _check_shutdown_order(manager)
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
    answers = dict(host.call_per_plugin("pds_config_schema", lambda _plugin: {}))
    for name in host.enabled_names:
        schema = next(iter(answers.get(name, [])), None)
        schema = schema or {"type": "object", "additionalProperties": False}
        section = settings.plugin_config(name)
        validator = jsonschema.Draft202012Validator(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(section))
        if error is not None:
            path = ".".join(["plugins", name, *(str(p) for p in error.absolute_path)])
            raise ConfigError(f"{path}: {error.message}")


def _version(entry_point: EntryPoint) -> str:
    distribution = entry_point.dist
    return distribution.version if distribution is not None else ""
