"""The AppView's actor answers to the recorded scenario equal the official AppView's.

``tests/fixtures/appview/scenario.json`` is replayed against this server (the ``appview``
plugin enabled, output validation on), every answer normalised as the official ones were
(``tests/appview_reference/README.md``), and each ``app.bsky.actor`` answer compared with
``official.json``: status, body (field by field, item by item) and the headers kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import compare_with_official
from conftest import BUILT_IN_PLUGINS

from exprsn_pds.config import Settings

ACTOR_METHODS: Final = frozenset(
    f"app.bsky.actor.{name}"
    for name in (
        "getProfile",
        "getProfiles",
        "searchActors",
        "searchActorsTypeahead",
        "getSuggestions",
        "getPreferences",
        "putPreferences",
    )
)
#: Answers that differ from the official ones, and why (none, today).
KNOWN_DIFFERENCES: Final[dict[str, str]] = {}


async def test_actor_answers_equal_the_official_appview(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    comparison = await compare_with_official(
        client_factory, settings_factory, ACTOR_METHODS.__contains__
    )
    compared, differences = comparison.compared, comparison.differences
    print(f"compared {len(compared)} actor answers, {len(compared) - len(differences)} equal")
    assert differences.keys() == KNOWN_DIFFERENCES.keys(), differences
    assert len(compared) == 44


async def test_disabled_by_config_app_bsky_answers_501(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(
        plugins={"enabled": [*BUILT_IN_PLUGINS, "appview"], "disabled": ["appview"]}
    )
    client = await client_factory(settings)
    response = await client.get("/xrpc/app.bsky.actor.getProfile", query_string={"actor": "a.test"})
    assert response.status_code == 501
    assert (await response.get_json())["error"] == "MethodNotImplemented"
