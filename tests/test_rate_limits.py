"""Rate limits over HTTP: the global limit, per-method limits, costs, keys, 429s, headers.

Each test runs on SQLite + in-process counters and on PostgreSQL + Redis counters.
"""

from __future__ import annotations

from typing import Any

import pytest

from exprsn_pds import XrpcContext, hookimpl
from exprsn_pds.app import get_pds
from exprsn_pds.auth import access_auth
from exprsn_pds.pds import Pds
from exprsn_pds.ratelimit import BY_DID, RateLimit, by_input_field_and_ip
from exprsn_pds.ratelimit.official import (
    GLOBAL_IP,
    REPO_WRITE_DAY,
    REPO_WRITE_HOUR,
    UPLOAD_BLOB_DAY,
)

NS = "com.example.limits"
PING_LIMIT = RateLimit("test-ping", "2/minute")
LOGIN_LIMIT = RateLimit("test-login", "2/minute", key=by_input_field_and_ip("identifier"))
SPEND_LIMIT = RateLimit("test-spend", "10/minute", key=BY_DID)
CLIENT = "203.0.113.9"
OTHER_CLIENT = "203.0.113.10"
PROXY = "10.0.0.2"
POST = "app.bsky.feed.post"
NOW = "2024-05-01T12:00:00.000Z"
OK_OUTPUT = {
    "encoding": "application/json",
    "schema": {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}},
}


def _input(**properties: Any) -> dict[str, Any]:
    return {
        "encoding": "application/json",
        "schema": {"type": "object", "required": sorted(properties), "properties": properties},
    }


LEXICONS = [
    {"lexicon": 1, "id": f"{NS}.ping", "defs": {"main": {"type": "query", "output": OK_OUTPUT}}},
    {
        "lexicon": 1,
        "id": f"{NS}.login",
        "defs": {
            "main": {
                "type": "procedure",
                "input": _input(identifier={"type": "string"}),
                "output": OK_OUTPUT,
            }
        },
    },
    {
        "lexicon": 1,
        "id": f"{NS}.spend",
        "defs": {
            "main": {
                "type": "procedure",
                "input": _input(points={"type": "integer", "minimum": 0}),
                "output": OK_OUTPUT,
            }
        },
    },
]


async def ok(_ctx: XrpcContext) -> dict[str, bool]:
    return {"ok": True}


async def spend(ctx: XrpcContext) -> dict[str, bool]:
    await ctx.consume_rate_limit(SPEND_LIMIT, cost=ctx.input["points"])
    return {"ok": True}


class LimitedPlugin:
    """Serves com.example.limits.*: methods with small limits."""

    @hookimpl
    def pds_register_lexicons(self, register: Any) -> None:
        for document in LEXICONS:
            register.add_document(document)

    @hookimpl
    def pds_register_xrpc(self, registry: Any) -> None:
        registry.add(f"{NS}.ping", ok, rate_limits=[PING_LIMIT])
        registry.add(f"{NS}.login", ok, rate_limits=[LOGIN_LIMIT])
        registry.add(f"{NS}.spend", spend, auth=access_auth)


PLUGINS = [("limited", LimitedPlugin())]


def peer(address: str) -> dict[str, Any]:
    """Test-client arguments making the request come from ``address``."""
    return {"scope_base": {"client": (address, 40000)}}


@pytest.fixture
def limited_settings(settings_factory: Any) -> Any:
    return settings_factory(rate_limits={"enabled": True})


@pytest.fixture
async def client(client_factory: Any, limited_settings: Any) -> Any:
    return await client_factory(limited_settings, extra_plugins=PLUGINS)


async def ping(client: Any, address: str = CLIENT, **headers: str) -> Any:
    return await client.get(f"/xrpc/{NS}.ping", headers=headers, **peer(address))


async def login(client: Any, identifier: str, address: str = CLIENT) -> Any:
    return await client.post(
        f"/xrpc/{NS}.login", json={"identifier": identifier}, **peer(address)
    )


async def test_a_method_past_its_limit_answers_429(client: Any) -> None:
    for _ in range(2):
        assert (await ping(client)).status_code == 200
    response = await ping(client)
    assert response.status_code == 429
    assert await response.get_json() == {
        "error": "RateLimitExceeded",
        "message": "Rate Limit Exceeded",
    }


async def test_a_429_carries_the_limit_headers(client: Any) -> None:
    for _ in range(3):
        response = await ping(client)
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Policy"] == "2;w=60"
    assert 0 <= int(response.headers["Retry-After"]) <= 60
    assert int(response.headers["RateLimit-Reset"]) > 0


async def test_a_success_reports_the_tightest_limit(client: Any) -> None:
    response = await ping(client)
    assert response.headers["RateLimit-Limit"] == "2"
    assert response.headers["RateLimit-Remaining"] == "1"
    assert response.headers["RateLimit-Policy"] == "2;w=60"


async def test_every_xrpc_call_counts_against_the_global_limit(client: Any) -> None:
    first = await client.get("/xrpc/com.atproto.server.describeServer", **peer(CLIENT))
    second = await client.get("/xrpc/com.atproto.sync.listRepos", **peer(CLIENT))
    assert first.headers["RateLimit-Policy"] == "3000;w=300"
    assert first.headers["RateLimit-Remaining"] == "2999"
    assert second.headers["RateLimit-Remaining"] == "2998"


async def test_a_spent_global_limit_refuses_any_method(client: Any) -> None:
    await get_pds(client.app).rate_limiter.consume(GLOBAL_IP, CLIENT, cost=GLOBAL_IP.amount)
    response = await client.get("/xrpc/com.atproto.server.describeServer", **peer(CLIENT))
    assert response.status_code == 429
    assert response.headers["RateLimit-Policy"] == "3000;w=300"


async def test_unknown_methods_count_against_the_global_limit(client: Any) -> None:
    await get_pds(client.app).rate_limiter.consume(GLOBAL_IP, CLIENT, cost=GLOBAL_IP.amount)
    response = await client.get("/xrpc/com.example.nobody.serves", **peer(CLIENT))
    assert response.status_code == 429


async def test_clients_are_counted_apart(client: Any) -> None:
    for _ in range(3):
        await ping(client, CLIENT)
    response = await ping(client, OTHER_CLIENT)
    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "1"


async def test_forwarded_for_from_a_trusted_proxy_tells_clients_apart(
    client_factory: Any, settings_factory: Any
) -> None:
    settings = settings_factory(rate_limits={"enabled": True}, server={"trusted_proxies": [PROXY]})
    proxied = await client_factory(settings, extra_plugins=PLUGINS)
    for _ in range(3):
        await ping(proxied, PROXY, **{"X-Forwarded-For": CLIENT})
    response = await ping(proxied, PROXY, **{"X-Forwarded-For": f"{CLIENT}, {OTHER_CLIENT}"})
    assert response.status_code == 200


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(client: Any) -> None:
    await ping(client, PROXY, **{"X-Forwarded-For": CLIENT})
    await ping(client, PROXY, **{"X-Forwarded-For": OTHER_CLIENT})
    response = await ping(client, PROXY, **{"X-Forwarded-For": "198.51.100.77"})
    assert response.status_code == 429


async def test_an_input_key_counts_per_identifier_and_address(client: Any) -> None:
    for _ in range(2):
        assert (await login(client, "alice.test")).status_code == 200
    assert (await login(client, "ALICE.test")).status_code == 429
    assert (await login(client, "bob.test")).status_code == 200
    assert (await login(client, "alice.test", OTHER_CLIENT)).status_code == 200


async def test_a_handler_can_spend_points_explicitly(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    url = f"/xrpc/{NS}.spend"
    first = await client.post(url, json={"points": 6}, headers=alice.headers, **peer(CLIENT))
    assert first.status_code == 200
    assert first.headers["RateLimit-Remaining"] == "4"
    second = await client.post(url, json={"points": 6}, headers=alice.headers, **peer(CLIENT))
    assert second.status_code == 429
    assert second.headers["RateLimit-Policy"] == "10;w=60"


async def test_disabled_rate_limits_limit_nothing(client_factory: Any) -> None:
    unlimited = await client_factory(extra_plugins=PLUGINS)
    for _ in range(5):
        response = await ping(unlimited)
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers


async def test_two_servers_on_one_redis_share_counters(
    client: Any, limited_settings: Any
) -> None:
    if limited_settings.redis_url is None:
        pytest.skip("in-process counters belong to one process")
    # One process holds one database connection: the other server is its limiter alone.
    other_server = Pds(limited_settings, PLUGINS)
    await other_server.rate_limiter.open()
    try:
        await other_server.rate_limiter.consume(PING_LIMIT, CLIENT, cost=PING_LIMIT.amount)
    finally:
        await other_server.rate_limiter.close()
    assert (await ping(client)).status_code == 429


# --- The official limits on the built-in plugins ------------------------------------------


def post(text: str) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": NOW}


async def points_left(client: Any, limit: RateLimit, did: str) -> int:
    """What ``did`` has left of ``limit`` (the probe itself costs a point)."""
    status = await get_pds(client.app).rate_limiter.hit(limit, did)
    assert status is not None
    return status.remaining + 1


async def create(client: Any, account: Any, text: str = "hello") -> Any:
    body = {"repo": account.did, "collection": POST, "record": post(text)}
    return await client.post(
        "/xrpc/com.atproto.repo.createRecord", json=body, headers=account.headers
    )


async def create_rkey(client: Any, account: Any) -> str:
    response = await create(client, account)
    assert response.status_code == 200
    return str((await response.get_json())["uri"]).rsplit("/", 1)[1]


async def test_create_record_costs_three_write_points(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    assert (await create(client, alice)).status_code == 200
    assert await points_left(client, REPO_WRITE_HOUR, alice.did) == 5000 - 3
    assert await points_left(client, REPO_WRITE_DAY, alice.did) == 35000 - 3


async def test_put_and_delete_record_cost_two_and_one(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    rkey = await create_rkey(client, alice)
    body = {"repo": alice.did, "collection": POST, "rkey": rkey}
    put = await client.post(
        "/xrpc/com.atproto.repo.putRecord",
        json={**body, "record": post("changed")},
        headers=alice.headers,
    )
    delete = await client.post(
        "/xrpc/com.atproto.repo.deleteRecord", json=body, headers=alice.headers
    )
    assert (put.status_code, delete.status_code) == (200, 200)
    assert await points_left(client, REPO_WRITE_HOUR, alice.did) == 5000 - 3 - 2 - 1


async def test_apply_writes_costs_the_sum_of_its_operations(
    client: Any, account_factory: Any
) -> None:
    alice = await account_factory(client, "alice.test")
    first, second = await create_rkey(client, alice), await create_rkey(client, alice)
    op = "com.atproto.repo.applyWrites#"
    writes = [
        {"$type": f"{op}create", "collection": POST, "value": post("new")},
        {"$type": f"{op}update", "collection": POST, "rkey": first, "value": post("changed")},
        {"$type": f"{op}delete", "collection": POST, "rkey": second},
    ]
    response = await client.post(
        "/xrpc/com.atproto.repo.applyWrites",
        json={"repo": alice.did, "writes": writes},
        headers=alice.headers,
    )
    assert response.status_code == 200, await response.get_json()
    assert await points_left(client, REPO_WRITE_HOUR, alice.did) == 5000 - 6 - (3 + 2 + 1)


async def test_spent_write_points_refuse_the_write(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    await get_pds(client.app).rate_limiter.consume(REPO_WRITE_HOUR, alice.did, cost=4998)
    response = await create(client, alice)
    assert response.status_code == 429
    assert response.headers["RateLimit-Policy"] == "5000;w=3600"
    listed = await client.get(
        f"/xrpc/com.atproto.repo.listRecords?repo={alice.did}&collection={POST}"
    )
    assert (await listed.get_json())["records"] == []


async def test_upload_blob_is_limited_per_account_and_day(
    client: Any, account_factory: Any
) -> None:
    alice = await account_factory(client, "alice.test")
    pds = get_pds(client.app)
    await pds.rate_limiter.consume(UPLOAD_BLOB_DAY, alice.did, cost=UPLOAD_BLOB_DAY.amount)
    response = await client.post(
        "/xrpc/com.atproto.repo.uploadBlob",
        data=b"hello",
        headers={**alice.headers, "Content-Type": "text/plain"},
    )
    assert response.status_code == 429
    assert response.headers["RateLimit-Policy"] == "1000;w=86400"
