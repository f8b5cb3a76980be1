"""The AppView's ``app.bsky.notification`` answers, and those of the calls the app makes on
start (``labeler.getServices``, ``unspecced.getConfig``, ``ageassurance.*``), to the
recorded scenario equal the official AppView's, on SQLite and PostgreSQL
(``tests/appview_reference/README.md``).

The replay of ``scenario.json`` (``appview_replay``) is compared with ``official.json``
answer by answer: status, body field by field and item by item, and the headers kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import compare_with_official

from exprsn_pds.config import Settings

COMPARED: Final = (
    "app.bsky.notification.",
    "app.bsky.labeler.",
    "app.bsky.unspecced.getConfig",
    "app.bsky.ageassurance.",
)
NO_AGE_ASSURANCE: Final = (
    "this server requires no age assurance and says so (access full, no region rules) where"
    " the dev AppView answers unknown access and its regions' rules; accountCreatedAt is"
    " when the replay made the account, not a scenario time"
)
SUBSCRIBED_POST: Final = (
    "a subscribed-post notification of post_bob_3 to alice, subscribed to bob's posts: the"
    " dev AppView makes none (its activity subscriptions make no notifications)"
)
WHOLE_LISTS: Final = (
    "listNotifications_alice",
    "listNotifications_alice_priority",
    "listNotifications_alice_after_unmute",
)
#: Answers that differ from the official ones, and why.
KNOWN_DIFFERENCES: Final[dict[str, str]] = {
    "listNotifications_alice": SUBSCRIBED_POST,
    "listNotifications_alice_limit_3": SUBSCRIBED_POST,
    "listNotifications_alice_page_2": SUBSCRIBED_POST,
    "listNotifications_alice_priority": SUBSCRIBED_POST,
    "listNotifications_alice_after_unmute": SUBSCRIBED_POST,
    "getUnreadCount_alice": SUBSCRIBED_POST,
    "proc_registerPush_alice": "the dev stack has no push service and answers 500; ours stores",
    "proc_unregisterPush_alice": "the dev stack has no push service and answers 500; ours stores",
    "getState_ageassurance_by_alice": NO_AGE_ASSURANCE,
    "getState_ageassurance_gb_by_alice": NO_AGE_ASSURANCE,
    "getConfig_ageassurance_by_alice": NO_AGE_ASSURANCE,
    "getState_ageassurance_without_country_by_alice": (
        "400 InvalidRequest on both; the core's parameter check words the message its own way"
    ),
}


async def test_notification_answers_equal_the_official_appview(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    comparison = await compare_with_official(
        client_factory, settings_factory, lambda nsid: nsid.startswith(COMPARED)
    )
    compared, differences = comparison.compared, comparison.differences
    ours = comparison.ours
    print(
        f"compared {len(compared)} notification answers, {len(compared) - len(differences)} equal"
    )
    for name, diff in differences.items():
        print(f"{name}: {KNOWN_DIFFERENCES.get(name, 'UNEXPECTED')}: {diff}")
    assert differences.keys() == KNOWN_DIFFERENCES.keys(), differences
    assert len(compared) == 36
    expected = {r["id"]: r for r in compared}
    for name in WHOLE_LISTS:  # the one extra item is the whole difference
        body = ours[name]["body"]
        extra = [n for n in body["notifications"] if n["reason"] == "subscribed-post"]
        assert [n["uri"] for n in extra] == ["at://did:bob/app.bsky.feed.post/#post_bob_3"]
        body["notifications"] = [n for n in body["notifications"] if n not in extra]
        assert body == expected[name]["body"]
    assert ours["getUnreadCount_alice"]["body"]["count"] == 5 == 1 + 4
    assert expected["getUnreadCount_alice"]["body"]["count"] == 4
    for name in ("getState_ageassurance_by_alice", "getState_ageassurance_gb_by_alice"):
        assert ours[name]["body"]["state"] == {"status": "unknown", "access": "full"}
        assert expected[name]["body"]["state"] == {"status": "unknown", "access": "unknown"}
    assert ours["getConfig_ageassurance_by_alice"]["body"] == {
        "$type": "app.bsky.ageassurance.defs#config",
        "regions": [],
    }
    missing = ours["getState_ageassurance_without_country_by_alice"]
    assert (missing["status"], missing["body"]["error"]) == (400, "InvalidRequest")
