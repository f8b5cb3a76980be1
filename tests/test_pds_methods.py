"""Methods a PDS serves that once answered 501: relay-side host methods answered as a PDS,
``temp.checkSignupQueue`` and ``identity.refreshIdentity``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from exprsn_pds.app import get_pds

SYNC = "/xrpc/com.atproto.sync"


@pytest.fixture
async def client(client_factory: Callable[..., Awaitable[Any]]) -> Any:
    return await client_factory()


async def test_request_crawl_for_this_server_is_accepted(client: Any) -> None:
    hostname = get_pds(client.app).settings.hostname
    response = await client.post(f"{SYNC}.requestCrawl", json={"hostname": hostname})
    assert response.status_code == 200


async def test_request_crawl_for_another_host_is_refused(client: Any) -> None:
    response = await client.post(f"{SYNC}.requestCrawl", json={"hostname": "pds.example.com"})
    assert response.status_code == 400
    body = await response.get_json()
    assert body["error"] == "InvalidRequest"
    assert "crawls no other host" in body["message"]


async def test_a_pds_lists_no_hosts_and_knows_none(client: Any) -> None:
    listed = await client.get(f"{SYNC}.listHosts")
    assert (listed.status_code, await listed.get_json()) == (200, {"hosts": []})
    status = await client.get(f"{SYNC}.getHostStatus", query_string={"hostname": "a.example"})
    assert status.status_code == 400
    assert (await status.get_json())["error"] == "HostNotFound"


async def test_check_signup_queue_needs_a_session_and_says_activated(
    client: Any, account_factory: Callable[..., Awaitable[Any]]
) -> None:
    anonymous = await client.get("/xrpc/com.atproto.temp.checkSignupQueue")
    assert anonymous.status_code == 401
    alice = await account_factory(client, "alice.test")
    answer = await client.get("/xrpc/com.atproto.temp.checkSignupQueue", headers=alice.headers)
    assert (answer.status_code, await answer.get_json()) == (200, {"activated": True})


async def test_refresh_identity_resolves_afresh_for_a_session(
    client: Any, account_factory: Callable[..., Awaitable[Any]]
) -> None:
    alice = await account_factory(client, "alice.test", server_did=True)
    url = "/xrpc/com.atproto.identity.refreshIdentity"
    anonymous = await client.post(url, json={"identifier": alice.handle})
    assert anonymous.status_code == 401
    answer = await client.post(url, json={"identifier": alice.handle}, headers=alice.headers)
    assert answer.status_code == 200
    info = await answer.get_json()
    assert (info["did"], info["handle"]) == (alice.did, alice.handle)
    assert info["didDoc"]["id"] == alice.did
    missing = await client.post(url, json={"identifier": "nobody.test"}, headers=alice.headers)
    assert (missing.status_code, (await missing.get_json())["error"]) == (400, "HandleNotFound")


REPORT = "/xrpc/com.atproto.moderation.createReport"


async def test_a_report_is_stored_for_the_admin_who_lists_it(
    client: Any, account_factory: Callable[..., Awaitable[Any]], admin_headers: dict[str, str]
) -> None:
    alice = await account_factory(client, "alice.test")
    bob = await account_factory(client, "bob.test")
    subject = {"$type": "com.atproto.admin.defs#repoRef", "did": bob.did}
    sent = {"reasonType": "com.atproto.moderation.defs#reasonSpam", "subject": subject}
    assert (await client.post(REPORT, json=sent)).status_code == 401
    answers = []
    for reason in ("first", "second"):
        response = await client.post(REPORT, json={**sent, "reason": reason}, headers=alice.headers)
        assert response.status_code == 200
        answers.append(await response.get_json())
    first = answers[0]
    assert (first["reportedBy"], first["subject"], first["reason"]) == (alice.did, subject, "first")
    assert answers[1]["id"] > first["id"]

    assert (await client.get("/admin/reports", headers=alice.headers)).status_code == 401
    page = await (await client.get("/admin/reports?limit=1", headers=admin_headers)).get_json()
    assert page["reports"] == [answers[1]]
    rest = await client.get(f"/admin/reports?cursor={page['cursor']}", headers=admin_headers)
    assert (await rest.get_json()) == {"reports": [first]}
    bad = await client.get("/admin/reports?limit=0", headers=admin_headers)
    assert bad.status_code == 400
