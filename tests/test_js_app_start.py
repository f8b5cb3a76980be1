"""The Bluesky app's first screens work: what the app does on start and on posting,
through ``@atproto/api``, finds nothing unserved (issue 11).

``appStart`` in ``tests/interop/app_start.mjs`` makes the app's calls with the client's own
typed methods, so the requests have the app's shape, against a ``pds serve`` process with
the AppView enabled; the client checks every answer against its own lexicons (a wrong shape
fails the scenario). ``traffic`` lists every XRPC request and the status it got. Chat is not
served here (the app's ``chat.bsky`` calls, sent with the chat proxy header, must come back
as a clean XRPC error the app shows, not a crash or a 5xx of another kind).
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from tests.conftest import BUILT_IN_PLUGINS
from tests.test_js_client import run_client

pytestmark = pytest.mark.usefixtures("interop_node")

ALICE: Final = {"handle": "alice-app.test", "email": "alice@example.com", "password": "alice-pw-1"}
BOB: Final = {"handle": "bob-app.test", "email": "bob@example.com", "password": "bob-pw-1"}
ENABLED: Final = [*BUILT_IN_PLUGINS, "appview"]
BSKY_LABELER: Final = "did:plc:ar7c4by46qjdydhdevvrndac"
CHAT_PROXY: Final = "did:web:api.bsky.chat#bsky_chat"
CHAT_CALLS: Final = {"chat.bsky.convo.listConvos", "chat.bsky.convo.getLog"}
# On sign-up ``upsertProfile`` reads the profile record first: there is none yet (400
# RecordNotFound, which the client expects), then it writes it.
EXPECTED_REFUSALS: Final = {"com.atproto.repo.getRecord": 400}
POST_ITEM: Final = "app.bsky.unspecced.defs#threadItemPost"
APP_CALLS: Final = {
    "com.atproto.server.refreshSession",
    "app.bsky.actor.getPreferences",
    "app.bsky.actor.getProfile",
    "app.bsky.unspecced.getConfig",
    "app.bsky.labeler.getServices",
    "app.bsky.ageassurance.getState",
    "app.bsky.feed.getFeedGenerators",
    "app.bsky.feed.getTimeline",
    "app.bsky.notification.listNotifications",
    "app.bsky.notification.getUnreadCount",
    "app.bsky.notification.updateSeen",
    "app.bsky.unspecced.getPostThreadV2",
    "app.bsky.feed.getAuthorFeed",
    "app.bsky.feed.getPosts",
    *CHAT_CALLS,
}


def check_first_screens(start: dict[str, Any], bob: dict[str, str]) -> None:
    """Preferences, own profile, config, labelers, age assurance, pinned feeds, timeline,
    notifications, chat: what the app shows before the user does anything."""
    assert start["savedFeeds"] == [
        {"type": "timeline", "value": "following", "pinned": True},
        {"type": "feed", "value": bob["feed"], "pinned": True},
    ]
    assert start["labelers"] == [BSKY_LABELER, bob["did"]]
    assert start["profile"] == {
        "did": start["did"],
        "handle": ALICE["handle"],
        "displayName": "Alice",
        "followsCount": 1,
    }
    assert isinstance(start["config"], dict)
    assert start["labelerViews"] == [
        {"$type": "app.bsky.labeler.defs#labelerViewDetailed", "did": bob["did"]}
    ]
    assert start["ageAssurance"]["state"]["access"] == "full"
    assert start["feedGenerators"] == [{"uri": bob["feed"], "displayName": "Bob's feed"}]
    assert start["timeline"] == [bob["post"]]
    assert (start["notifications"], start["unread"]) == (0, 0)
    for call in ("listConvos", "getLog"):
        refused = start[call]
        assert refused["isXrpcError"] and refused["class"] == "XRPCError", refused
        assert (refused["status"], refused["error"]) == (501, "MethodNotImplemented")


def check_compose(compose: dict[str, Any], bob: dict[str, str]) -> None:
    """The composer finds the new post and reply on its first poll; they are in the thread,
    the timeline, the profile's tabs and getPosts."""
    post, reply = compose["post"], compose["reply"]
    assert (compose["postSeenOnPoll"], compose["replySeenOnPoll"]) == (1, 1)
    assert compose["bobThread"] == [[bob["post"], 0, POST_ITEM], [reply, 1, POST_ITEM]]
    assert compose["timeline"] == [reply, post, bob["post"]]
    assert compose["posts"] == [post]
    assert compose["postsWithReplies"] == [reply, post]
    assert compose["getPosts"] == [post, reply]


def check_notifications(notifications: dict[str, Any], post: str, bob: dict[str, str]) -> None:
    """bob's like, reply and follow raise alice's unread count; updateSeen brings it to 0."""
    assert notifications["unreadBefore"] == 3
    assert notifications["before"] == [
        {"reason": reason, "isRead": False, "author": bob["did"]}
        for reason in ("follow", "reply", "like")
    ]
    assert notifications["unreadAfter"] == 0
    assert notifications["after"] == [{**seen, "isRead": True} for seen in notifications["before"]]
    assert notifications["ownThread"] == [
        [post, 0, POST_ITEM],
        [notifications["bobReply"], 1, POST_ITEM],
    ]


def check_traffic(traffic: list[dict[str, Any]]) -> None:
    """Every app call was made and answered 200, except chat (501, sent to the chat proxy)
    and the profile read before the first profile write."""
    assert {request["nsid"] for request in traffic} >= APP_CALLS
    for request in traffic:
        if request["nsid"] in CHAT_CALLS:
            assert (request["status"], request["proxy"]) == (501, CHAT_PROXY), request
        else:
            assert request["status"] == EXPECTED_REFUSALS.get(request["nsid"], 200), request


async def test_bluesky_app_start_and_first_post_find_nothing_unserved(live_server: Any) -> None:
    server = await live_server(
        env={"PDS_ENABLE_PLUGINS": ",".join(ENABLED)}, plugins={"enabled": ENABLED}
    )
    seen = run_client(server.url, "appStart", alice=ALICE, bob=BOB)
    check_first_screens(seen["start"], seen["bob"])
    check_compose(seen["compose"], seen["bob"])
    check_notifications(seen["notifications"], seen["compose"]["post"], seen["bob"])
    check_traffic(seen["traffic"])
    assert seen["cors"]["problems"] == []
