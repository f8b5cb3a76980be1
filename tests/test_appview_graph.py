"""``app.bsky.graph``: pages and cursors, mutes as private state, blocks, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import appview_settings
from test_appview_index import NOW, Actor

from exprsn_pds.config import Settings

POST: Final = "app.bsky.feed.post"
FOLLOW: Final = "app.bsky.graph.follow"
BLOCK: Final = "app.bsky.graph.block"
LIST: Final = "app.bsky.graph.list"
LIST_ITEM: Final = "app.bsky.graph.listitem"
LIST_BLOCK: Final = "app.bsky.graph.listblock"
MODLIST: Final = "app.bsky.graph.defs#modlist"


async def _get(caller: Actor, nsid: str, /, **params: Any) -> tuple[int, dict[str, Any]]:
    return await caller.query(f"app.bsky.graph.{nsid}", **params)


async def _post(actor: Actor, nsid: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = await actor.client.post(
        f"/xrpc/app.bsky.graph.{nsid}", json=body, headers=actor.headers
    )
    text = await response.get_data(as_text=True)
    return response.status_code, (await response.get_json()) if text else None


def _dids(views: list[dict[str, Any]]) -> list[str]:
    return [view["did"] for view in views]


async def test_followers_page_by_page_newest_first_and_a_cursor_only_before_the_end(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    others = [await Actor.create(client, f"follower{i}") for i in range(5)]
    for i, other in enumerate(others):
        await other.write(FOLLOW, {"subject": alice.did, "createdAt": f"2026-01-01T00:0{i}:00Z"})
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"actor": alice.did, "limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        status, body = await _get(alice, "getFollowers", **params)
        assert status == 200 and body["subject"]["did"] == alice.did
        seen += _dids(body["followers"])
        pages += 1
        cursor = body.get("cursor")
        if cursor is None:
            break
        if pages == 1:  # a follow arriving between pages moves nothing after the cursor
            late = await Actor.create(client, "latecomer")
            await late.write(FOLLOW, {"subject": alice.did, "createdAt": "2026-01-01T01:00:00Z"})
    assert pages == 3
    assert seen == [other.did for other in reversed(others)]
    status, body = await _get(others[0], "getFollows", actor=others[0].did)
    assert status == 200 and _dids(body["follows"]) == [alice.did] and "cursor" not in body


async def test_followers_leave_out_blocks_of_the_viewer_and_of_the_subject(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol, dan = [
        await Actor.create(client, n) for n in ("alice", "bob", "carol", "dan")
    ]
    for follower in (bob, carol, dan):
        await follower.write(FOLLOW, {"subject": alice.did, "createdAt": NOW})
    await alice.write(BLOCK, {"subject": dan.did, "createdAt": NOW})  # the subject blocks dan
    await carol.write(BLOCK, {"subject": bob.did, "createdAt": NOW})  # the viewer blocks bob
    status, body = await _get(carol, "getFollowers", actor=alice.did)
    assert status == 200 and _dids(body["followers"]) == [carol.did]
    status, body = await _get(bob, "getFollowers", actor=alice.did)
    assert _dids(body["followers"]) == [bob.did]
    status, body = await _get(carol, "getBlocks")
    assert _dids(body["blocks"]) == [bob.did]
    assert body["blocks"][0]["viewer"]["blocking"].startswith(f"at://{carol.did}/{BLOCK}/")


async def test_mutes_are_private_state_set_and_cleared_idempotently(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    for _ in range(2):
        assert await _post(alice, "muteActor", {"actor": "bob.test"}) == (200, None)
    status, body = await _get(alice, "getMutes")
    assert status == 200 and _dids(body["mutes"]) == [bob.did]
    assert body["mutes"][0]["viewer"]["muted"] is True
    assert (await _get(bob, "getMutes"))[1] == {"mutes": []}
    _, profile = await alice.profile(bob.did)
    assert profile["viewer"]["muted"] is True
    _, profile = await bob.profile(alice.did)
    assert profile["viewer"]["muted"] is False
    for _ in range(2):
        assert await _post(alice, "unmuteActor", {"actor": bob.did}) == (200, None)
    assert (await _get(alice, "getMutes"))[1] == {"mutes": []}


async def test_list_mutes_and_list_blocks_show_the_lists(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, eve = [await Actor.create(client, n) for n in ("alice", "bob", "eve")]
    modlist = await bob.write(LIST, {"name": "Spam", "purpose": MODLIST, "createdAt": NOW})
    await bob.write(LIST_ITEM, {"list": modlist["uri"], "subject": eve.did, "createdAt": NOW})
    assert await _post(alice, "muteActorList", {"list": modlist["uri"]}) == (200, None)
    status, body = await _get(alice, "getListMutes")
    assert status == 200 and [v["uri"] for v in body["lists"]] == [modlist["uri"]]
    assert body["lists"][0]["viewer"] == {"muted": True}
    assert body["lists"][0]["creator"]["did"] == bob.did
    _, profile = await alice.profile(eve.did)
    assert profile["viewer"]["mutedByList"]["uri"] == modlist["uri"]
    assert await _post(alice, "unmuteActorList", {"list": modlist["uri"]}) == (200, None)
    assert (await _get(alice, "getListMutes"))[1] == {"lists": []}
    block = await alice.write(LIST_BLOCK, {"subject": modlist["uri"], "createdAt": NOW})
    status, body = await _get(alice, "getListBlocks")
    assert body["lists"][0]["viewer"] == {"muted": False, "blocked": block["uri"]}
    status, body = await _get(alice, "getList", list=modlist["uri"])
    assert status == 200 and body["list"]["listItemCount"] == 1
    assert body["items"][0]["subject"]["viewer"]["blocking"] == modlist["uri"]


async def test_relationships_name_each_edge_and_unknown_actors(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    follow = await alice.write(FOLLOW, {"subject": bob.did, "createdAt": NOW})
    block = await bob.write(BLOCK, {"subject": alice.did, "createdAt": NOW})
    status, body = await _get(
        alice, "getRelationships", actor=alice.did, others=["bob.test", "x.test"]
    )
    assert status == 200
    assert body == {
        "actor": alice.did,
        "relationships": [
            {
                "$type": "app.bsky.graph.defs#relationship",
                "did": bob.did,
                "following": follow["uri"],
                "blockedBy": block["uri"],
            },
            {"$type": "app.bsky.graph.defs#notFoundActor", "actor": "x.test", "notFound": True},
        ],
    }


async def test_bad_input_answers_400_with_a_clear_message(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    cases: list[tuple[Any, str]] = [
        (await _get(alice, "getFollowers", actor=alice.did, cursor="nonsense"), "Malformed cursor"),
        (await _get(alice, "getFollows", actor="nobody.test"), "Actor not found: nobody.test"),
        (await _get(alice, "getList", list=f"at://{alice.did}/{LIST}/nope"), "List not found"),
        (
            await _get(alice, "getStarterPack", starterPack=f"at://{alice.did}/{LIST}/x"),
            "Starter pack not found",
        ),
        (await _post(alice, "muteActor", {"actor": alice.did}), "Actor cannot mute themselves"),
        (await _post(alice, "muteActor", {"actor": "nobody.test"}), "Actor not found"),
        (
            await _post(alice, "muteActorList", {"list": f"at://{alice.did}/{FOLLOW}/x"}),
            f"Invalid collection: expected: {LIST}",
        ),
        (
            await _post(alice, "muteThread", {"root": f"at://{alice.did}/{LIST}/x"}),
            "Invalid collection: expected: app.bsky.feed.post",
        ),
    ]
    for (status, body), message in cases:
        assert status == 400 and body == {"error": "InvalidRequest", "message": message}
    assert (await _get(alice, "getMutes"))[1] == {"mutes": []}  # nothing half written


def _mute_flags(profile: dict[str, Any]) -> tuple[bool, bool, bool]:
    viewer = profile["viewer"]
    return viewer["muted"], viewer["mutedOnlyReposts"], viewer["mutedOnlyQuoteposts"]


async def test_scoped_mutes_hide_only_reposts_or_quotes_and_a_new_call_replaces_the_scope(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    await alice.write(FOLLOW, {"subject": bob.did, "createdAt": "2026-01-01T00:00:00Z"})
    carols = await carol.write(POST, {"text": "carol", "createdAt": "2026-01-01T00:01:00Z"})
    subject = {"uri": carols["uri"], "cid": carols["cid"]}
    await bob.write(
        "app.bsky.feed.repost", {"subject": subject, "createdAt": "2026-01-01T00:02:00Z"}
    )
    quote = {"$type": "app.bsky.embed.record", "record": subject}
    await bob.write(POST, {"text": "quote", "embed": quote, "createdAt": "2026-01-01T00:03:00Z"})
    await bob.write(POST, {"text": "own", "createdAt": "2026-01-01T00:04:00Z"})

    async def timeline() -> list[str]:
        status, body = await alice.query("app.bsky.feed.getTimeline")
        assert status == 200
        return [
            ("repost:" if "reason" in item else "") + item["post"]["record"]["text"]
            for item in body["feed"]
        ]

    assert await timeline() == ["own", "quote", "repost:carol"]
    assert (await _post(alice, "muteActor", {"actor": bob.did, "onlyReposts": True}))[0] == 200
    assert _mute_flags((await alice.profile(bob.did))[1]) == (False, True, False)
    assert await timeline() == ["own", "quote"]
    assert (await _get(alice, "getMutes"))[1] == {"mutes": []}  # only full mutes are listed
    assert (await _post(alice, "muteActor", {"actor": bob.did, "onlyQuoteposts": True}))[0] == 200
    assert _mute_flags((await alice.profile(bob.did))[1]) == (False, False, True)
    assert await timeline() == ["own", "repost:carol"]
    assert (await _post(alice, "muteActor", {"actor": bob.did}))[0] == 200
    assert _mute_flags((await alice.profile(bob.did))[1]) == (True, False, False)
    assert await timeline() == []
    assert _dids((await _get(alice, "getMutes"))[1]["mutes"]) == [bob.did]
    assert (await _post(alice, "unmuteActor", {"actor": bob.did}))[0] == 200
    assert _mute_flags((await alice.profile(bob.did))[1]) == (False, False, False)
    assert await timeline() == ["own", "quote", "repost:carol"]


async def test_own_state_needs_a_session_even_with_public_reads(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory, public_reads=True))
    alice = await Actor.create(client, "alice")
    response = await client.get("/xrpc/app.bsky.graph.getMutes")
    assert response.status_code == 401
    response = await client.post("/xrpc/app.bsky.graph.muteActor", json={"actor": alice.did})
    assert response.status_code == 401
    response = await client.get(
        "/xrpc/app.bsky.graph.getFollowers", query_string={"actor": alice.did}
    )
    assert response.status_code == 200
    assert "viewer" not in (await response.get_json())["subject"]


async def test_a_reference_list_hides_members_blocked_with_its_creator_but_to_the_creator(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol, dan = [
        await Actor.create(client, n) for n in ("alice", "bob", "carol", "dan")
    ]
    picks = await alice.write(
        LIST, {"name": "Picks", "purpose": "app.bsky.graph.defs#referencelist", "createdAt": NOW}
    )
    for member in (bob, carol):
        await alice.write(
            LIST_ITEM, {"list": picks["uri"], "subject": member.did, "createdAt": NOW}
        )
    pack = await alice.write(
        "app.bsky.graph.starterpack", {"name": "Start", "list": picks["uri"], "createdAt": NOW}
    )
    await carol.write(BLOCK, {"subject": alice.did, "createdAt": NOW})
    _, body = await _get(dan, "getList", list=picks["uri"])
    assert [item["subject"]["did"] for item in body["items"]] == [bob.did]
    _, body = await _get(alice, "getList", list=picks["uri"])
    assert {item["subject"]["did"] for item in body["items"]} == {bob.did, carol.did}
    status, body = await _get(dan, "getStarterPack", starterPack=pack["uri"])
    assert status == 200 and body["starterPack"]["list"]["listItemCount"] == 2
    assert [i["subject"]["did"] for i in body["starterPack"]["listItemsSample"]] == [bob.did]
    _, body = await _get(dan, "getActorStarterPacks", actor=alice.did)
    assert [p["uri"] for p in body["starterPacks"]] == [pack["uri"]]
    _, body = await _get(dan, "getLists", actor=alice.did)
    assert body == {"lists": []}  # a starter pack's list shows only through the pack
    response = await alice.client.post(
        "/xrpc/com.atproto.server.deactivateAccount", json={}, headers=alice.headers
    )
    assert response.status_code == 200
    status, body = await _get(dan, "getStarterPack", starterPack=pack["uri"])
    assert status == 400 and body["message"] == "Starter pack not found"
    assert (await _get(dan, "getStarterPacks", uris=[pack["uri"]]))[1] == {"starterPacks": []}


async def test_a_starter_packs_feeds_are_generator_views_with_likes(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    feed = await alice.write(
        "app.bsky.feed.generator",
        {"did": "did:web:feeds.example", "displayName": "Cats", "createdAt": NOW},
    )
    like = await bob.write(
        "app.bsky.feed.like",
        {"subject": {"uri": feed["uri"], "cid": feed["cid"]}, "createdAt": NOW},
    )
    missing = f"at://{alice.did}/app.bsky.feed.generator/gone"
    picks = await alice.write(
        LIST, {"name": "Picks", "purpose": "app.bsky.graph.defs#referencelist", "createdAt": NOW}
    )
    pack = await alice.write(
        "app.bsky.graph.starterpack",
        {
            "name": "Start",
            "list": picks["uri"],
            "feeds": [{"uri": feed["uri"]}, {"uri": missing}],
            "createdAt": NOW,
        },
    )
    status, body = await _get(bob, "getStarterPack", starterPack=pack["uri"])
    assert status == 200
    (view,) = body["starterPack"]["feeds"]
    assert view["uri"] == feed["uri"] and view["did"] == "did:web:feeds.example"
    assert view["creator"]["did"] == alice.did and view["displayName"] == "Cats"
    assert view["likeCount"] == 1 and view["viewer"] == {"like": like["uri"]}
    assert body["starterPack"]["list"]["listItemCount"] == 0
    assert body["starterPack"]["listItemsSample"] == []


async def test_get_lists_reads_purposes_and_pages_as_the_official(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    """As the official ``getLists``: ``modlist`` / ``curatelist`` by name or full token,
    nothing for any other purpose, the page cut before the purpose filter, and an unknown
    actor answered "Profile not found"."""
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    made = {}
    for minute, purpose in enumerate(("modlist", "curatelist", "referencelist")):
        record = {
            "name": purpose,
            "purpose": f"app.bsky.graph.defs#{purpose}",
            "createdAt": f"2026-01-01T00:0{minute}:00Z",
        }
        made[purpose] = (await alice.write(LIST, record))["uri"]

    async def lists(**params: Any) -> tuple[list[str], bool]:
        status, body = await _get(bob, "getLists", actor=alice.did, **params)
        assert status == 200
        return [view["uri"] for view in body["lists"]], "cursor" in body

    assert await lists() == ([made["curatelist"], made["modlist"]], False)
    assert await lists(purposes=["app.bsky.graph.defs#modlist"]) == ([made["modlist"]], False)
    assert await lists(purposes=["curatelist", MODLIST]) == (
        [made["curatelist"], made["modlist"]],
        False,
    )
    assert await lists(purposes=["referencelist"]) == ([], False)
    assert await lists(limit=2) == ([made["curatelist"]], True)  # the reference list was cut
    status, body = await _get(bob, "getLists", actor="nobody.test")
    assert status == 400 and body == {"error": "InvalidRequest", "message": "Profile not found"}


async def test_odd_but_valid_input_never_answers_500(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    a_list = f"at://{alice.did}/{LIST}/nope"
    reads: list[tuple[str, dict[str, Any], int]] = [
        ("getFollows", {"actor": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}, 400),
        ("getFollowers", {"actor": alice.did, "cursor": "2026-01-01T00:00:00.000Z::x"}, 200),
        ("getFollowers", {"actor": alice.did, "cursor": "2026-01-01T00:00:00Z::x"}, 400),
        ("getKnownFollowers", {"actor": alice.did}, 200),
        ("getBlocks", {"cursor": "::"}, 400),
        ("getMutes", {"cursor": "2026-01-01T00:00:00.000Z::did:x"}, 200),
        ("getList", {"list": f"at://{alice.did}"}, 400),
        ("getList", {"list": a_list, "cursor": "nope::"}, 400),
        ("getLists", {"actor": "alice.test", "purposes": ["nonsense"]}, 200),
        ("getListBlocks", {"limit": 100}, 200),
        ("getListMutes", {"limit": 1}, 200),
        ("getRelationships", {"actor": "nobody.test"}, 200),
        ("getStarterPack", {"starterPack": f"at://{alice.did}"}, 400),
        ("getStarterPacks", {"uris": [a_list, f"at://{alice.did}"]}, 200),
        ("getActorStarterPacks", {"actor": "alice.test"}, 200),
        ("getSuggestedFollowsByActor", {"actor": "nobody.test"}, 400),
    ]
    for nsid, params, expected in reads:
        status, body = await _get(alice, nsid, **params)
        assert status == expected, (nsid, params, body)
        if status == 400:
            assert body["error"] == "InvalidRequest" and body["message"]
    procedures: list[tuple[str, dict[str, Any]]] = [
        ("unmuteActor", {"actor": "nobody.test"}),
        ("unmuteActorList", {"list": f"at://{alice.did}"}),
        ("unmuteThread", {"root": f"at://{alice.did}/app.bsky.feed.post"}),
    ]
    for nsid, body_in in procedures:
        status, body = await _post(alice, nsid, body_in)
        assert status == 400 and body["error"] == "InvalidRequest", (nsid, body)
