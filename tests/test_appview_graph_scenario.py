"""The AppView's ``app.bsky.graph`` answers to the recorded scenario equal the official
AppView's: the replay of ``tests/test_appview_scenario.py``, compared on every graph answer
(reads and the mute procedures, which are served, not seeded) field by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import compare_with_official

from exprsn_pds.config import Settings

GRAPH_METHODS: Final = frozenset(
    f"app.bsky.graph.{name}"
    for name in (
        "getFollows",
        "getFollowers",
        "getKnownFollowers",
        "getBlocks",
        "getMutes",
        "muteActor",
        "unmuteActor",
        "muteActorList",
        "unmuteActorList",
        "muteThread",
        "unmuteThread",
        "getList",
        "getLists",
        "getListBlocks",
        "getListMutes",
        "getRelationships",
        "getStarterPack",
        "getStarterPacks",
        "getActorStarterPacks",
        "getSuggestedFollowsByActor",
    )
)
#: Answers that differ from the official ones, and why (none, today).
KNOWN_DIFFERENCES: Final[dict[str, str]] = {}


async def test_graph_answers_equal_the_official_appview(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    comparison = await compare_with_official(
        client_factory, settings_factory, GRAPH_METHODS.__contains__
    )
    compared, differences = comparison.compared, comparison.differences
    print(f"compared {len(compared)} graph answers, {len(compared) - len(differences)} equal")
    assert differences.keys() == KNOWN_DIFFERENCES.keys(), differences
    assert {r["nsid"] for r in compared} == GRAPH_METHODS  # every method has an answer
    assert len(compared) == 54
