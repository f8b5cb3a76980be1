"""The AppView's post answers to the recorded ``posts`` scenario equal the official
AppView's, field by field: every embed kind (images, external, video, gallery, quotes of
posts, lists, feed generators, starter packs and labelers, with media, nested, deleted,
blocked and detached), postgates, viewer state and counts, likes, reposts, quotes, the
timeline with a muted author and paging, every author feed filter with pins, the list feed,
and bookmarks; on SQLite and PostgreSQL (one replay per database)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import compare_with_official

from exprsn_pds.config import Settings

#: Answers that differ from the official ones, and why (none, today).
KNOWN_DIFFERENCES: Final[dict[str, str]] = {}


async def test_post_answers_equal_the_official_appview(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    comparison = await compare_with_official(
        client_factory, settings_factory, lambda nsid: True, scenario_name="posts"
    )
    compared, differences = comparison.compared, comparison.differences
    print(f"compared {len(compared)} post answers, {len(compared) - len(differences)} equal")
    assert differences.keys() == KNOWN_DIFFERENCES.keys(), differences
    assert len(compared) == 62
