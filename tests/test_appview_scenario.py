"""The AppView's actor answers to the recorded scenario equal the official AppView's.

``tests/fixtures/appview/scenario.json`` is replayed against this server (the ``appview``
plugin enabled, output validation on), every answer normalised as the official ones were
(``tests/appview_reference/README.md``), and each ``app.bsky.actor`` answer compared with
``official.json``: status, body (field by field, item by item) and the headers kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import Replay, load_scenario
from conftest import BUILT_IN_PLUGINS

from exprsn_pds.app import get_pds
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
LABELERS: Final = ["did:example:labeler"]
#: Answers that differ from the official ones, and why (none, today).
KNOWN_DIFFERENCES: Final[dict[str, str]] = {}


def appview_settings(settings_factory: Callable[..., Settings], **appview: Any) -> Settings:
    """Test settings with the ``appview`` plugin enabled and ``.test`` handles."""
    return settings_factory(
        plugins={"enabled": [*BUILT_IN_PLUGINS, "appview"], "appview": appview},
        accounts={"service_handle_domains": [".test"]},
    )


def _differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    found = []
    if expected["status"] != got["status"]:
        found.append(f"status {got['status']} != {expected['status']}")
    if expected["body"] != got["body"]:
        found.append(f"body {got['body']} != {expected['body']}")
    headers = dict(got["headers"])
    wanted = dict(expected["headers"])
    if expected["body"] is None:  # an empty answer's content type is the core's, not ours
        headers.pop("content-type", None)
        wanted.pop("content-type", None)
    if "requestHeaders" not in expected and "atproto-content-labelers" in wanted:
        # without atproto-accept-labelers each server echoes its own configuration
        wanted["atproto-content-labelers"] = ",".join(LABELERS)
    if headers != wanted:
        found.append(f"headers {headers} != {wanted}")
    return found


async def test_actor_answers_equal_the_official_appview(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    scenario, official = load_scenario()
    client = await client_factory(appview_settings(settings_factory, labelers=LABELERS))
    replay = Replay(scenario, client, get_pds(client.app))
    await replay.run()
    ours = {result["id"]: result for result in replay.results}
    compared = [r for r in official["results"] if r["nsid"] in ACTOR_METHODS]
    differences = {
        expected["id"]: diff
        for expected in compared
        if (diff := _differences(expected, ours[expected["id"]]))
    }
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
