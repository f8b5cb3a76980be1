"""The ``pds_on_event`` hook: each committed event, handed to every plugin that implements it.

Each plugin's implementation is its own pluggy call, in pluggy's order, inside any
``wrapper`` implementations (:meth:`~exprsn_pds.plugin_host.PluginHost.plugin_order`),
so that one implementation's failure neither skips the others nor reaches the change:
it is logged. An awaitable an implementation returns is awaited before the next runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from exprsn_pds.events.types import AnyEvent
from exprsn_pds.logs import get_logger
from exprsn_pds.plugin_host import PluginHost

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

HOOK_NAME: Final = "pds_on_event"

log = get_logger(__name__)


class PluginEventListener:
    """The :data:`~exprsn_pds.events.log.EventListener` that calls ``pds_on_event``."""

    def __init__(self, plugins: PluginHost, pds: Pds) -> None:
        self._plugins = plugins
        self._pds = pds

    async def __call__(self, event: AnyEvent) -> None:
        """Call each plugin's ``pds_on_event`` with ``event``; log a failure."""
        arguments = {"pds": self._pds, "event": event}
        for plugin in self._plugins.plugin_order(HOOK_NAME):
            try:
                await self._plugins.call_per_plugin_async(
                    HOOK_NAME, lambda _plugin: arguments, plugins=[plugin]
                )
            except Exception:
                log.exception(
                    "a pds_on_event implementation failed; the change it reports stands",
                    plugin=plugin,
                    seq=event.seq,
                    type=event.type,
                )
