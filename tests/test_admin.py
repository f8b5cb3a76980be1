"""The admin plugin: admin auth on every method, accounts, invite codes (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from email import message_from_bytes, policy
from typing import Any

import pytest
from helpers import bearer

from exprsn_pds.accounts.models import Account, InviteCode
from exprsn_pds.app import get_pds
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.plugins.admin import ADMIN_METHODS
from exprsn_pds.plugins.mailer.outbox import OutboxMailer

XRPC = "/xrpc"
PASSWORD = "correct horse battery staple"


async def json_of(response: Any) -> dict[str, Any]:
    return dict(await response.get_json())


async def new_account(client: Any, handle: str, **extra: Any) -> dict[str, Any]:
    body = {"handle": handle, "email": f"{handle.split('.')[0]}@example.com", "password": PASSWORD}
    response = await client.post(f"{XRPC}/com.atproto.server.createAccount", json={**body, **extra})
    answer = await json_of(response)
    assert response.status_code == 200, answer
    return answer


async def login(client: Any, identifier: str, password: str = PASSWORD) -> Any:
    return await client.post(
        f"{XRPC}/com.atproto.server.createSession",
        json={"identifier": identifier, "password": password},
    )


async def call(
    client: Any, nsid: str, headers: dict[str, str], body: Any = None, **params: Any
) -> Any:
    """GET a query with ``params``, POST a procedure with ``body``."""
    if get_pds(client.app).lexicons.main_type(nsid) == "query":
        return await client.get(f"{XRPC}/{nsid}", query_string=params, headers=headers)
    return await client.post(f"{XRPC}/{nsid}", json=body or {}, headers=headers)


async def ok(response: Any) -> dict[str, Any]:
    data = await response.get_data()
    body: dict[str, Any] = json.loads(data) if data else {}
    assert response.status_code == 200, body
    return body


async def fails(response: Any, status: int, error: str) -> dict[str, Any]:
    body = await json_of(response)
    assert response.status_code == status, body
    assert body["error"] == error, body
    return body


# --- Admin credentials ----------------------------------------------------------------------


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("nsid", sorted(ADMIN_METHODS))
async def test_admin_methods_refuse_anything_but_admin_credentials(client: Any, nsid: str) -> None:
    session = await new_account(client, "alice.test")
    refused = [
        {},
        basic("admin", "wrong password"),
        basic("alice", "test-admin-password"),
        {"Authorization": "Basic !!!not-base64"},
        bearer(session["accessJwt"]),
    ]
    for headers in refused:
        await fails(await call(client, nsid, headers), 401, "AuthenticationRequired")


async def test_admin_methods_are_served(client: Any) -> None:
    methods = get_pds(client.app).methods
    assert all(nsid in methods for nsid in ADMIN_METHODS)


# --- Accounts -------------------------------------------------------------------------------


async def test_get_account_info_shows_the_account_and_its_invites(
    client_factory: Any, settings_factory: Any, admin_headers: dict[str, str]
) -> None:
    client = await client_factory(settings_factory(accounts={"invite_required": True}))
    invite = await ok(
        await call(client, "com.atproto.server.createInviteCode", admin_headers, {"useCount": 1})
    )
    alice = await new_account(client, "alice.test", inviteCode=invite["code"])
    own = await ok(
        await call(
            client,
            "com.atproto.server.createInviteCode",
            admin_headers,
            {"useCount": 2, "forAccount": alice["did"]},
        )
    )
    info = await ok(
        await call(client, "com.atproto.admin.getAccountInfo", admin_headers, did=alice["did"])
    )
    assert info["did"] == alice["did"]
    assert info["handle"] == "alice.test"
    assert info["email"] == "alice@example.com"
    assert info["invitesDisabled"] is False
    assert info["invitedBy"]["code"] == invite["code"]
    assert info["invitedBy"]["uses"][0]["usedBy"] == alice["did"]
    assert [code["code"] for code in info["invites"]] == [own["code"]]
    assert "deactivatedAt" not in info


async def test_get_account_info_of_an_unknown_did_is_not_found(
    client: Any, admin_headers: dict[str, str]
) -> None:
    response = await call(
        client, "com.atproto.admin.getAccountInfo", admin_headers, did="did:web:nobody.test"
    )
    await fails(response, 400, "NotFound")


async def test_get_account_infos_returns_the_known_accounts(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    bob = await new_account(client, "bob.test")
    response = await client.get(
        f"{XRPC}/com.atproto.admin.getAccountInfos",
        query_string=[
            ("dids", bob["did"]),
            ("dids", "did:web:nobody.test"),
            ("dids", alice["did"]),
        ],
        headers=admin_headers,
    )
    infos = (await ok(response))["infos"]
    assert [info["did"] for info in infos] == [bob["did"], alice["did"]]


async def test_search_accounts_by_email_or_handle_prefix_with_a_cursor(
    client: Any, admin_headers: dict[str, str]
) -> None:
    for handle in ("alice.test", "alina.test", "bob.test"):
        await new_account(client, handle)
    search = "com.atproto.admin.searchAccounts"
    by_email = await ok(await call(client, search, admin_headers, email="ALI"))
    assert sorted(a["handle"] for a in by_email["accounts"]) == ["alice.test", "alina.test"]
    by_handle = await ok(await call(client, search, admin_headers, email="bob.t"))
    assert [a["handle"] for a in by_handle["accounts"]] == ["bob.test"]
    assert (await ok(await call(client, search, admin_headers, email="%")))["accounts"] == []

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await ok(
            await call(
                client, search, admin_headers, limit=1, **({"cursor": cursor} if cursor else {})
            )
        )
        seen += [account["handle"] for account in page["accounts"]]
        cursor = page.get("cursor")
        if cursor is None:
            break
    assert sorted(seen) == ["alice.test", "alina.test", "bob.test"]


async def test_update_account_handle_sequences_identity_and_logs_in_by_new_handle(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    update = "com.atproto.admin.updateAccountHandle"
    await ok(
        await call(client, update, admin_headers, {"did": alice["did"], "handle": "ALICIA.test"})
    )
    assert (await Account.get(did=alice["did"])).handle == "alicia.test"
    last = await RepoEvent.filter(did=alice["did"]).order_by("-seq").first()
    assert last is not None and last.type == "identity"
    assert (await login(client, "alicia.test")).status_code == 200
    assert (await login(client, "alice.test")).status_code == 401


@pytest.mark.parametrize(
    ("handle", "error"),
    [
        ("bob.test", "HandleNotAvailable"),
        ("ab.test", "InvalidHandle"),
        ("alice.local", "InvalidHandle"),
    ],
)
async def test_update_account_handle_refuses_taken_and_bad_handles(
    client: Any, admin_headers: dict[str, str], handle: str, error: str
) -> None:
    alice = await new_account(client, "alice.test")
    await new_account(client, "bob.test")
    response = await call(
        client,
        "com.atproto.admin.updateAccountHandle",
        admin_headers,
        {"did": alice["did"], "handle": handle},
    )
    await fails(response, 400, error)
    assert (await Account.get(did=alice["did"])).handle == "alice.test"


async def test_update_account_email_resets_confirmation(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    await new_account(client, "bob.test")
    await Account.filter(did=alice["did"]).update(email_confirmed_at=None)
    update = "com.atproto.admin.updateAccountEmail"
    await ok(
        await call(
            client, update, admin_headers, {"account": "alice.test", "email": "New@Example.com"}
        )
    )
    account = await Account.get(did=alice["did"])
    assert account.email == "new@example.com" and account.email_confirmed_at is None
    assert (await login(client, "new@example.com")).status_code == 200
    taken = await call(
        client, update, admin_headers, {"account": alice["did"], "email": "bob@example.com"}
    )
    assert taken.status_code == 400
    unknown = await call(
        client, update, admin_headers, {"account": "nobody.test", "email": "x@example.com"}
    )
    await fails(unknown, 400, "InvalidRequest")


async def test_update_account_password_revokes_sessions(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    update = "com.atproto.admin.updateAccountPassword"
    await ok(
        await call(
            client, update, admin_headers, {"did": alice["did"], "password": "a new password"}
        )
    )
    refreshed = await client.post(
        f"{XRPC}/com.atproto.server.refreshSession", headers=bearer(alice["refreshJwt"])
    )
    assert refreshed.status_code in (400, 401)
    assert (await login(client, "alice.test")).status_code == 401
    assert (await login(client, "alice.test", "a new password")).status_code == 200
    short = await call(client, update, admin_headers, {"did": alice["did"], "password": "short"})
    await fails(short, 400, "InvalidRequest")
    unknown = await call(
        client, update, admin_headers, {"did": "did:web:x.test", "password": PASSWORD}
    )
    await fails(unknown, 400, "AccountNotFound")


async def test_delete_account_removes_it_and_sequences_deleted(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    delete = "com.atproto.admin.deleteAccount"
    await ok(await call(client, delete, admin_headers, {"did": alice["did"]}))
    assert not await Account.exists(did=alice["did"])
    [event] = await RepoEvent.filter(did=alice["did"])
    assert event.type == "account"
    status = await client.get(f"{XRPC}/com.atproto.sync.getRepoStatus?did={alice['did']}")
    await fails(status, 400, "RepoNotFound")
    await fails(
        await call(client, delete, admin_headers, {"did": alice["did"]}), 400, "AccountNotFound"
    )


# --- Invite codes ---------------------------------------------------------------------------


async def test_create_invite_codes_for_accounts(client: Any, admin_headers: dict[str, str]) -> None:
    create = "com.atproto.server.createInviteCodes"
    body = {"codeCount": 2, "useCount": 3, "forAccounts": ["did:web:a.test", "did:web:b.test"]}
    created = (await ok(await call(client, create, admin_headers, body)))["codes"]
    assert [entry["account"] for entry in created] == ["did:web:a.test", "did:web:b.test"]
    codes = [code for entry in created for code in entry["codes"]]
    assert len(set(codes)) == 4
    stored = await InviteCode.filter(code__in=codes)
    assert {code.available_uses for code in stored} == {3}
    admin_only = await ok(
        await call(client, create, admin_headers, {"useCount": 1, "codeCount": 1})
    )
    assert admin_only["codes"][0]["account"] == "admin"


@pytest.mark.parametrize(
    ("nsid", "body"),
    [
        ("com.atproto.server.createInviteCode", {"useCount": 0}),
        ("com.atproto.server.createInviteCodes", {"useCount": 1, "codeCount": 0}),
        ("com.atproto.server.createInviteCodes", {"useCount": 1, "codeCount": 1001}),
    ],
)
async def test_create_invite_codes_refuses_bad_counts(
    client: Any, admin_headers: dict[str, str], nsid: str, body: dict[str, Any]
) -> None:
    await fails(await call(client, nsid, admin_headers, body), 400, "InvalidRequest")
    assert await InviteCode.all().count() == 0


async def test_get_invite_codes_pages_by_recent_and_by_usage(
    client: Any, admin_headers: dict[str, str]
) -> None:
    created = []
    for _ in range(3):
        answer = await call(
            client, "com.atproto.server.createInviteCode", admin_headers, {"useCount": 5}
        )
        created.append((await ok(answer))["code"])
    alice = await new_account(client, "alice.test", inviteCode=created[0])
    await new_account(client, "bob.test", inviteCode=created[0])
    await new_account(client, "carol.test", inviteCode=created[1])
    assert alice["did"]

    async def pages(sort: str) -> list[str]:
        seen: list[str] = []
        cursor: str | None = None
        while True:
            extra = {"cursor": cursor} if cursor else {}
            page = await ok(
                await call(
                    client,
                    "com.atproto.admin.getInviteCodes",
                    admin_headers,
                    sort=sort,
                    limit=2,
                    **extra,
                )
            )
            seen += [code["code"] for code in page["codes"]]
            if len(page["codes"]) < 2:
                return seen
            cursor = page["cursor"]

    assert await pages("recent") == list(reversed(created))
    assert await pages("usage") == [created[0], created[1], created[2]]
    get = "com.atproto.admin.getInviteCodes"
    await fails(await call(client, get, admin_headers, sort="alphabetical"), 400, "InvalidRequest")
    await fails(await call(client, get, admin_headers, cursor="nonsense"), 400, "InvalidRequest")


async def test_disabled_codes_and_accounts_stop_inviting(
    client_factory: Any, settings_factory: Any, admin_headers: dict[str, str]
) -> None:
    client = await client_factory(settings_factory(accounts={"invite_required": True}))
    create = "com.atproto.server.createInviteCode"
    [first, second] = [
        (await ok(await call(client, create, admin_headers, {"useCount": 5})))["code"] for _ in "ab"
    ]
    alice = await new_account(client, "alice.test", inviteCode=first)
    await ok(
        await call(
            client, "com.atproto.admin.disableInviteCodes", admin_headers, {"codes": [first]}
        )
    )
    refused = await client.post(
        f"{XRPC}/com.atproto.server.createAccount",
        json={
            "handle": "bob.test",
            "email": "bob@example.com",
            "password": PASSWORD,
            "inviteCode": first,
        },
    )
    await fails(refused, 400, "InvalidInviteCode")
    await new_account(client, "bob.test", inviteCode=second)
    admin_refused = await call(
        client, "com.atproto.admin.disableInviteCodes", admin_headers, {"accounts": ["admin"]}
    )
    await fails(admin_refused, 400, "InvalidRequest")

    own = (
        await ok(
            await call(client, create, admin_headers, {"useCount": 1, "forAccount": alice["did"]})
        )
    )["code"]
    toggle = {"account": alice["did"]}
    await ok(await call(client, "com.atproto.admin.disableAccountInvites", admin_headers, toggle))
    assert (await Account.get(did=alice["did"])).invites_disabled
    carol = {
        "handle": "carol.test",
        "email": "carol@example.com",
        "password": PASSWORD,
        "inviteCode": own,
    }
    await fails(
        await client.post(f"{XRPC}/com.atproto.server.createAccount", json=carol),
        400,
        "InvalidInviteCode",
    )
    await ok(await call(client, "com.atproto.admin.enableAccountInvites", admin_headers, toggle))
    await new_account(client, "carol.test", inviteCode=own)
    unknown = await call(
        client,
        "com.atproto.admin.enableAccountInvites",
        admin_headers,
        {"account": "did:web:x.test"},
    )
    await fails(unknown, 400, "AccountNotFound")


async def test_get_account_invite_codes_lists_the_callers_own(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    create = "com.atproto.server.createInviteCode"
    used = (
        await ok(
            await call(client, create, admin_headers, {"useCount": 1, "forAccount": alice["did"]})
        )
    )["code"]
    fresh = (
        await ok(
            await call(client, create, admin_headers, {"useCount": 1, "forAccount": alice["did"]})
        )
    )["code"]
    await ok(await call(client, create, admin_headers, {"useCount": 1}))
    await new_account(client, "bob.test", inviteCode=used)

    mine = "com.atproto.server.getAccountInviteCodes"
    every = await ok(await call(client, mine, bearer(alice["accessJwt"])))
    assert sorted(code["code"] for code in every["codes"]) == sorted([used, fresh])
    unused = await ok(await call(client, mine, bearer(alice["accessJwt"]), includeUsed="false"))
    assert [code["code"] for code in unused["codes"]] == [fresh]
    await fails(await call(client, mine, admin_headers), 401, "AuthenticationRequired")


async def test_send_email_reaches_the_accounts_address(
    client: Any, admin_headers: dict[str, str]
) -> None:
    alice = await new_account(client, "alice.test")
    body = {"recipientDid": alice["did"], "senderDid": "did:web:mod.test", "content": "Hello!"}
    sent = await client.post(
        f"{XRPC}/com.atproto.admin.sendEmail",
        json={**body, "subject": "About your account"},
        headers=admin_headers,
    )
    assert await json_of(sent) == {"sent": True}
    mailer = get_pds(client.app).mailer
    assert isinstance(mailer, OutboxMailer)
    [path] = mailer.messages()
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "About your account"
    unknown = await client.post(
        f"{XRPC}/com.atproto.admin.sendEmail",
        json={**body, "recipientDid": "did:web:nobody.test"},
        headers=admin_headers,
    )
    assert unknown.status_code == 400
