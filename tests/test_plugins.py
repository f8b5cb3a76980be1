"""The plugin manager: discovery, enabling, essentials, config sections, conflicts."""

from __future__ import annotations

from typing import Any

import pluggy
import pytest

from exprsn_pds import hookimpl
from exprsn_pds.config import ConfigError
from exprsn_pds.lexicon import LexiconError
from exprsn_pds.pds import Pds
from exprsn_pds.plugin_host import ESSENTIAL_PLUGINS
from exprsn_pds.registrars import PluginStartupError


async def _nothing(ctx: Any) -> None:
    return None


class Configurable:
    @hookimpl
    def pds_config_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {"level": {"type": "integer", "minimum": 1}},
        }


class ServesDescribeServer:
    @hookimpl
    def pds_register_xrpc(self, registry: Any) -> None:
        registry.add("com.atproto.server.describeServer", _nothing)


class ServesUnknownMethod:
    @hookimpl
    def pds_register_xrpc(self, registry: Any) -> None:
        registry.add("com.example.nowhere.getThing", _nothing)


class MisspelledHook:
    @hookimpl
    def pds_register_xrcp(self, registry: Any) -> None:
        """A typo that must not go unnoticed."""


class DuplicateLexicon:
    @hookimpl
    def pds_register_lexicons(self, register: Any) -> None:
        register.add_document(
            {
                "lexicon": 1,
                "id": "com.atproto.server.describeServer",
                "defs": {"main": {"type": "query"}},
            }
        )


class BrokenRef:
    @hookimpl
    def pds_register_lexicons(self, register: Any) -> None:
        register.add_document(
            {
                "lexicon": 1,
                "id": "com.example.broken.thing",
                "defs": {
                    "main": {
                        "type": "object",
                        "properties": {"x": {"type": "ref", "ref": "com.example.gone"}},
                    }
                },
            }
        )


class OffersHooks:
    """Adds a hookspec of its own for other plugins (pds_addhooks)."""

    class Specs:
        @pluggy.HookspecMarker("exprsn_pds")
        def pds_example_extra(self) -> Any:
            """An extension hook."""

    @hookimpl
    def pds_addhooks(self, plugin_manager: pluggy.PluginManager) -> None:
        plugin_manager.add_hookspecs(self.Specs)


class UsesOfferedHook:
    @hookimpl
    def pds_example_extra(self) -> str:
        return "extended"


def test_the_server_plugin_is_essential() -> None:
    assert "server" in ESSENTIAL_PLUGINS


def test_an_essential_plugin_cannot_be_disabled(settings_factory: Any) -> None:
    settings = settings_factory(plugins={"enabled": [], "disabled": ["server"]})
    with pytest.raises(ConfigError, match="essential"):
        Pds(settings)


def test_disabling_an_unknown_plugin_names_it(settings_factory: Any) -> None:
    settings = settings_factory(plugins={"enabled": [], "disabled": ["nosuchplugin"]})
    with pytest.raises(ConfigError, match="nosuchplugin"):
        Pds(settings)


def test_built_in_plugins_are_discovered_through_entry_points(settings_factory: Any) -> None:
    pds = Pds(settings_factory())
    info = {i.name: i for i in pds.plugins.infos}["server"]
    assert info.enabled and info.essential and info.version
    assert info.namespaces == ["com.atproto.server", "com.atproto.temp"]
    assert pds.methods["com.atproto.server.describeServer"].plugin == "server"


def test_a_plugin_config_section_is_checked_against_its_schema(settings_factory: Any) -> None:
    settings = settings_factory(plugins={"configurable": {"level": 0}})
    with pytest.raises(ConfigError, match=r"plugins\.configurable\.level"):
        Pds(settings, [("configurable", Configurable())])


def test_a_valid_plugin_config_section_is_accepted(settings_factory: Any) -> None:
    settings = settings_factory(plugins={"configurable": {"level": 3}})
    pds = Pds(settings, [("configurable", Configurable())])
    assert pds.settings.plugin_config("configurable") == {"level": 3}


def test_a_plugin_without_schema_accepts_no_keys(settings_factory: Any) -> None:
    settings = settings_factory(plugins={"server": {"anything": 1}})
    with pytest.raises(ConfigError, match=r"plugins\.server"):
        Pds(settings)


def test_a_section_for_an_absent_plugin_is_refused(settings_factory: Any) -> None:
    settings = settings_factory(plugins={"ghost": {"a": 1}})
    with pytest.raises(ConfigError, match="ghost"):
        Pds(settings)


def test_serving_one_nsid_twice_stops_startup(settings_factory: Any) -> None:
    """The later-registered plugin registers first (pluggy's order); the error names both."""
    both = r"plugin server: com\.atproto\.server\.describeServer is already served by plugin again"
    with pytest.raises(PluginStartupError, match=both):
        Pds(settings_factory(), [("again", ServesDescribeServer())])


def test_serving_a_method_no_lexicon_defines_stops_startup(settings_factory: Any) -> None:
    with pytest.raises(PluginStartupError, match=r"com\.example\.nowhere\.getThing"):
        Pds(settings_factory(), [("unknown", ServesUnknownMethod())])


def test_a_misspelled_hook_stops_startup(settings_factory: Any) -> None:
    with pytest.raises(pluggy.PluginValidationError):
        Pds(settings_factory(), [("typo", MisspelledHook())])


def test_a_duplicate_lexicon_id_stops_startup(settings_factory: Any) -> None:
    with pytest.raises(LexiconError, match=r"com\.atproto\.server\.describeServer"):
        Pds(settings_factory(), [("dup", DuplicateLexicon())])


def test_an_unresolved_lexicon_ref_stops_startup(settings_factory: Any) -> None:
    with pytest.raises(LexiconError, match=r"com\.example\.gone"):
        Pds(settings_factory(), [("broken", BrokenRef())])


def test_plugins_can_offer_hooks_to_other_plugins(settings_factory: Any) -> None:
    pds = Pds(settings_factory(), [("offers", OffersHooks()), ("uses", UsesOfferedHook())])
    assert pds.plugins.manager.hook.pds_example_extra() == ["extended"]


class ServesPathVariables:
    @hookimpl
    def pds_register_routes(self, routes: Any) -> None:
        async def thing(pds: Pds, kind: str, name: str) -> dict[str, str]:
            return {"kind": kind, "name": name, "plugin_sees_pds": str(isinstance(pds, Pds))}

        routes.add("/things/<kind>/<name>", thing)


async def test_route_variables_reach_the_handler_as_keywords(client_factory: Any) -> None:
    client = await client_factory(extra_plugins=[("things", ServesPathVariables())])
    response = await client.get("/things/books/a%20b%40c")
    assert await response.get_json() == {
        "kind": "books",
        "name": "a b@c",
        "plugin_sees_pds": "True",
    }
