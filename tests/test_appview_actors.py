"""``app.bsky.actor``: who may call, public reads, preferences, search and suggestions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import appview_settings
from test_appview_index import NOW, Actor

from exprsn_pds.config import Settings

PERSONAL: Final = {
    "$type": "app.bsky.actor.defs#personalDetailsPref",
    "birthDate": "2000-01-01T00:00:00.000Z",
}
ADULT: Final = {"$type": "app.bsky.actor.defs#adultContentPref", "enabled": True}


async def test_without_a_session_the_answer_is_auth_missing(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    response = await client.get(
        "/xrpc/app.bsky.actor.getProfile", query_string={"actor": alice.did}
    )
    assert response.status_code == 401
    assert await response.get_json() == {
        "error": "AuthMissing",
        "message": "Authentication Required",
    }


async def test_public_reads_answer_without_viewer_state(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory, public_reads=True))
    alice = await Actor.create(client, "alice")
    response = await client.get(
        "/xrpc/app.bsky.actor.getProfile", query_string={"actor": "alice.test"}
    )
    assert response.status_code == 200
    body = await response.get_json()
    assert body["did"] == alice.did and "viewer" not in body
    assert "atproto-repo-rev" not in response.headers


async def _put(actor: Actor, preferences: list[dict[str, Any]], headers: Any = None) -> Any:
    return await actor.client.post(
        "/xrpc/app.bsky.actor.putPreferences",
        json={"preferences": preferences},
        headers=headers or actor.headers,
    )


async def _get(actor: Actor, headers: Any = None) -> list[dict[str, Any]]:
    response = await actor.client.get(
        "/xrpc/app.bsky.actor.getPreferences", headers=headers or actor.headers
    )
    assert response.status_code == 200
    preferences: list[dict[str, Any]] = (await response.get_json())["preferences"]
    return preferences


async def test_preferences_are_the_accounts_own(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    assert (await _put(alice, [ADULT, PERSONAL])).status_code == 200
    kinds = [p["$type"] for p in await _get(alice)]
    assert kinds == [ADULT["$type"], PERSONAL["$type"], "app.bsky.actor.defs#declaredAgePref"]
    assert await _get(bob) == []
    assert (await _put(bob, [ADULT])).status_code == 200
    assert [p["$type"] for p in await _get(alice)][:2] == [ADULT["$type"], PERSONAL["$type"]]


async def test_preferences_outside_app_bsky_or_derived_are_refused(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    assert (await _put(alice, [ADULT])).status_code == 200
    for refused in (
        {"$type": "com.example.pref", "x": 1},
        {"$type": "app.bsky.actor.defs#declaredAgePref", "isOverAge13": True},
    ):
        response = await _put(alice, [refused])
        assert response.status_code == 400
        assert (await response.get_json())["error"] == "InvalidRequest"
    assert await _get(alice) == [ADULT]


async def test_an_app_password_neither_sees_nor_drops_personal_details(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    assert (await _put(alice, [PERSONAL])).status_code == 200
    response = await client.post(
        "/xrpc/com.atproto.server.createAppPassword", json={"name": "app"}, headers=alice.headers
    )
    password = (await response.get_json())["password"]
    response = await client.post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": "alice.test", "password": password},
    )
    app = {"Authorization": f"Bearer {(await response.get_json())['accessJwt']}"}
    assert [p["$type"] for p in await _get(alice, app)] == ["app.bsky.actor.defs#declaredAgePref"]
    assert (await _put(alice, [PERSONAL], app)).status_code == 400
    assert (await _put(alice, [ADULT], app)).status_code == 200
    assert [p["$type"] for p in await _get(alice)][:2] == [ADULT["$type"], PERSONAL["$type"]]


async def test_search_matches_handle_prefixes_and_pages(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    viewer = await Actor.create(client, "viewer")
    for name in ("sam1", "sam2", "sam3"):
        await Actor.create(client, name)

    async def search(**params: Any) -> dict[str, Any]:
        response = await client.get(
            "/xrpc/app.bsky.actor.searchActors", query_string=params, headers=viewer.headers
        )
        assert response.status_code == 200
        body: dict[str, Any] = await response.get_json()
        return body

    first = await search(q="sam", limit=2)
    assert [a["handle"] for a in first["actors"]] == ["sam1.test", "sam2.test"]
    second = await search(q="sam", limit=2, cursor=first["cursor"])
    assert [a["handle"] for a in second["actors"]] == ["sam3.test"]
    assert "cursor" not in second
    assert (await search(q="Sam"))["actors"] == []


async def test_suggestions_are_the_curated_actors_not_yet_followed(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    settings = appview_settings(settings_factory, suggested_actors=["bob.test", "carol.test"])
    client = await client_factory(settings)
    alice = await Actor.create(client, "alice")
    bob, carol = await Actor.create(client, "bob"), await Actor.create(client, "carol")
    await alice.write("app.bsky.graph.follow", {"subject": bob.did, "createdAt": NOW})
    response = await client.get("/xrpc/app.bsky.actor.getSuggestions", headers=alice.headers)
    assert [a["did"] for a in (await response.get_json())["actors"]] == [carol.did]
    response = await client.get("/xrpc/app.bsky.actor.getSuggestions", headers=carol.headers)
    assert [a["did"] for a in (await response.get_json())["actors"]] == [bob.did]


async def test_known_followers_lists_at_most_the_configured_number(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory, known_followers_max=1))
    alice, bob, carol, dan = [
        await Actor.create(client, n) for n in ("alice", "bob", "carol", "dan")
    ]
    for follower in (bob, carol):
        await alice.write("app.bsky.graph.follow", {"subject": follower.did, "createdAt": NOW})
        await follower.write("app.bsky.graph.follow", {"subject": dan.did, "createdAt": NOW})
    status, body = await alice.profile(dan.did)
    known = body["viewer"]["knownFollowers"]
    assert (status, known["count"]) == (200, 2)
    assert [f["did"] for f in known["followers"]] == [bob.did]
