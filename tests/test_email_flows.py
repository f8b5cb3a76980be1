"""E-mailed codes over XRPC: confirm and change the address, reset the password, delete
the account (SQLite and PostgreSQL). Codes are read from the outbox or a real SMTP server."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import libipld
from helpers import bearer

from exprsn_pds.accounts import lifecycle
from exprsn_pds.accounts.email_tokens import EmailTokenPurpose, utc_now
from exprsn_pds.accounts.models import Account, AppPassword, EmailToken, RefreshToken
from exprsn_pds.app import get_pds
from exprsn_pds.blobs import LocalDiskBlobStore
from exprsn_pds.blobs.local import did_folder_name
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.plugins.mailer.outbox import OutboxMailer
from exprsn_pds.repo.models import Blob, Record, RecordBlob, Repo, RepoBlock

SERVER = "/xrpc/com.atproto.server"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new password"
TOKEN = re.compile(r"\b[A-Z2-7]{5}-[A-Z2-7]{5}\b")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
POST = "app.bsky.feed.post"
RECEIVE_TIMEOUT_S = 10.0


async def call(client: Any, method: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
    return await client.post(f"{SERVER}.{method}", json=body if body is not None else {}, **kw)


async def ok(response: Any) -> dict[str, Any]:
    body = await response.get_json()
    assert response.status_code == 200, body
    return dict(body or {})


async def error_of(response: Any, status: int = 400) -> str:
    body = await response.get_json()
    assert response.status_code == status, body
    return str(body["error"])


async def new_account(client: Any, handle: str = "alice.test") -> dict[str, Any]:
    email = f"{handle.split('.')[0]}@example.com"
    body = {"handle": handle, "email": email, "password": PASSWORD}
    return await ok(await call(client, "createAccount", body))


async def login(client: Any, identifier: str, password: str = PASSWORD) -> Any:
    return await call(client, "createSession", {"identifier": identifier, "password": password})


def outbox(client: Any) -> list[EmailMessage]:
    mailer = get_pds(client.app).mailer
    assert isinstance(mailer, OutboxMailer)
    messages = []
    for path in mailer.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def token_in(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    found = TOKEN.search(str(part.get_content()))
    assert found, part.get_content()
    return found.group()


def other_code(token: str) -> str:
    """A well-formed code that is not ``token``."""
    return ("B" if token[0] == "A" else "A") + token[1:]


def last_mail(client: Any, to: str, subject: str) -> str:
    """The code in the newest message to ``to``, which must have ``subject``."""
    mine = [message for message in outbox(client) if message["To"] == to]
    assert mine, f"no mail to {to}"
    assert mine[-1]["Subject"] == subject
    return token_in(mine[-1])


def move_clock(client: Any, by: dt.timedelta) -> None:
    get_pds(client.app).email_tokens.clock = lambda: utc_now() + by


async def confirm(client: Any, account: dict[str, Any], email: str = "alice@example.com") -> None:
    headers = bearer(account["accessJwt"])
    await ok(await call(client, "requestEmailConfirmation", headers=headers))
    token = last_mail(client, email, "Email Confirmation")
    await ok(await call(client, "confirmEmail", {"email": email, "token": token}, headers=headers))


async def session_of(client: Any, account: dict[str, Any]) -> dict[str, Any]:
    return await ok(await client.get(f"{SERVER}.getSession", headers=bearer(account["accessJwt"])))


# --- Confirming the address ----------------------------------------------------------------


async def test_confirm_email_with_the_mailed_code(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    await ok(await call(client, "requestEmailConfirmation", headers=headers))
    [message] = outbox(client)
    assert message["To"] == "alice@example.com"
    assert message["From"] == "noreply@localhost"
    token = token_in(message)
    assert (await session_of(client, account))["emailConfirmed"] is False

    body = {"email": "Alice@Example.com", "token": token.lower()}
    await ok(await call(client, "confirmEmail", body, headers=headers))
    assert (await session_of(client, account))["emailConfirmed"] is True
    confirmed = await Account.get(did=account["did"])
    assert confirmed.email_confirmed_at is not None


async def test_a_code_works_once(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    await confirm(client, account)
    token = last_mail(client, "alice@example.com", "Email Confirmation")
    again = await call(
        client, "confirmEmail", {"email": "alice@example.com", "token": token}, headers=headers
    )
    assert await error_of(again) == "InvalidToken"


async def test_wrong_code_and_wrong_address_are_refused(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    await ok(await call(client, "requestEmailConfirmation", headers=headers))
    token = last_mail(client, "alice@example.com", "Email Confirmation")
    for body, error in [
        ({"email": "alice@example.com", "token": other_code(token)}, "InvalidToken"),
        ({"email": "alice@example.com", "token": "not a code"}, "InvalidToken"),
        ({"email": "mallory@example.com", "token": token}, "InvalidEmail"),
    ]:
        assert await error_of(await call(client, "confirmEmail", body, headers=headers)) == error
    assert (await session_of(client, account))["emailConfirmed"] is False


async def test_a_code_expires_after_fifteen_minutes(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    await ok(await call(client, "requestEmailConfirmation", headers=headers))
    token = last_mail(client, "alice@example.com", "Email Confirmation")
    body = {"email": "alice@example.com", "token": token}

    move_clock(client, dt.timedelta(minutes=15))
    assert await error_of(await call(client, "confirmEmail", body, headers=headers)) == (
        "ExpiredToken"
    )
    move_clock(client, dt.timedelta(minutes=14, seconds=59))
    await ok(await call(client, "confirmEmail", body, headers=headers))


async def test_a_new_request_replaces_the_previous_code(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    await ok(await call(client, "requestEmailConfirmation", headers=headers))
    first = last_mail(client, "alice@example.com", "Email Confirmation")
    await ok(await call(client, "requestEmailConfirmation", headers=headers))
    second = last_mail(client, "alice@example.com", "Email Confirmation")
    assert await EmailToken.filter(did=account["did"]).count() == 1
    assert first != second
    body = {"email": "alice@example.com", "token": first}
    stale = await call(client, "confirmEmail", body, headers=headers)
    assert await error_of(stale) == "InvalidToken"
    body = {"email": "alice@example.com", "token": second}
    await ok(await call(client, "confirmEmail", body, headers=headers))


async def test_codes_are_per_purpose(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    await ok(await call(client, "requestEmailConfirmation", headers=headers))
    token = last_mail(client, "alice@example.com", "Email Confirmation")

    reset = await call(client, "resetPassword", {"token": token, "password": NEW_PASSWORD})
    assert await error_of(reset) == "InvalidToken"
    delete = {"did": account["did"], "password": PASSWORD, "token": token}
    assert await error_of(await call(client, "deleteAccount", delete)) == "InvalidToken"
    assert (await login(client, "alice.test")).status_code == 200
    assert await Account.exists(did=account["did"])


async def test_taken_down_account_cannot_ask_for_codes(client: Any) -> None:
    account = await new_account(client)
    await lifecycle.set_takedown(get_pds(client.app), account["did"], "spam-1")
    response = await call(client, "requestEmailConfirmation", headers=bearer(account["accessJwt"]))
    assert await error_of(response, 401) == "AccountTakedown"
    assert outbox(client) == []


# --- Changing the address ------------------------------------------------------------------


async def test_unconfirmed_address_changes_without_a_code(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    answer = await ok(await call(client, "requestEmailUpdate", headers=headers))
    assert answer == {"tokenRequired": False}
    assert outbox(client) == []
    await ok(await call(client, "updateEmail", {"email": "Alice.New@Example.com"}, headers=headers))
    session = await session_of(client, account)
    assert (session["email"], session["emailConfirmed"]) == ("alice.new@example.com", False)
    assert (await login(client, "alice.new@example.com")).status_code == 200


async def test_confirmed_address_changes_only_with_the_code_sent_to_it(client: Any) -> None:
    account = await new_account(client)
    headers = bearer(account["accessJwt"])
    await confirm(client, account)

    answer = await ok(await call(client, "requestEmailUpdate", headers=headers))
    assert answer == {"tokenRequired": True}
    token = last_mail(client, "alice@example.com", "Email Update Requested")

    missing = await call(client, "updateEmail", {"email": "new@example.com"}, headers=headers)
    assert await error_of(missing) == "TokenRequired"
    body = {"email": "new@example.com", "token": other_code(token)}
    wrong = await call(client, "updateEmail", body, headers=headers)
    assert await error_of(wrong) == "InvalidToken"
    assert (await session_of(client, account))["email"] == "alice@example.com"

    body = {"email": "new@example.com", "token": token}
    await ok(await call(client, "updateEmail", body, headers=headers))
    session = await session_of(client, account)
    assert (session["email"], session["emailConfirmed"]) == ("new@example.com", False)
    assert await EmailToken.filter(did=account["did"]).count() == 0


async def test_update_email_refuses_a_taken_or_malformed_address(client: Any) -> None:
    account = await new_account(client)
    await new_account(client, "bob.test")
    headers = bearer(account["accessJwt"])
    for email in ["BOB@example.com", "not-an-address"]:
        response = await call(client, "updateEmail", {"email": email}, headers=headers)
        assert await error_of(response) == "InvalidRequest"
    assert (await session_of(client, account))["email"] == "alice@example.com"


async def test_app_password_sessions_cannot_change_email_or_delete(client: Any) -> None:
    account = await new_account(client)
    created = await ok(
        await call(
            client, "createAppPassword", {"name": "app"}, headers=bearer(account["accessJwt"])
        )
    )
    session = await ok(await login(client, "alice.test", created["password"]))
    limited = bearer(session["accessJwt"])
    for method, body in [
        ("requestEmailUpdate", {}),
        ("updateEmail", {"email": "eve@example.com"}),
        ("requestAccountDelete", {}),
    ]:
        response = await call(client, method, body, headers=limited)
        assert response.status_code == 401, method
    # Confirming the address is allowed to any session, as on the official PDS.
    await ok(await call(client, "requestEmailConfirmation", headers=limited))
    assert [message["Subject"] for message in outbox(client)] == ["Email Confirmation"]


# --- Resetting the password ----------------------------------------------------------------


async def test_password_reset_replaces_the_password_and_ends_every_session(client: Any) -> None:
    account = await new_account(client)
    other_session = await ok(await login(client, "alice.test"))
    await ok(await call(client, "requestPasswordReset", {"email": "ALICE@example.com"}))
    token = last_mail(client, "alice@example.com", "Password Reset Requested")

    short = await call(client, "resetPassword", {"token": token, "password": "short"})
    assert await error_of(short) == "InvalidRequest"
    await ok(await call(client, "resetPassword", {"token": token, "password": NEW_PASSWORD}))

    assert (await login(client, "alice.test")).status_code == 401
    assert (await login(client, "alice.test", NEW_PASSWORD)).status_code == 200
    for refresh in (account["refreshJwt"], other_session["refreshJwt"]):
        revoked = await client.post(f"{SERVER}.refreshSession", headers=bearer(refresh))
        assert await error_of(revoked) == "ExpiredToken"
    again = await call(client, "resetPassword", {"token": token, "password": "third password"})
    assert await error_of(again) == "InvalidToken"


async def test_password_reset_does_not_tell_which_addresses_exist(client: Any) -> None:
    await new_account(client)
    known = await call(client, "requestPasswordReset", {"email": "alice@example.com"})
    unknown = await call(client, "requestPasswordReset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert await known.get_data() == await unknown.get_data()
    assert [message["To"] for message in outbox(client)] == ["alice@example.com"]


async def test_expired_reset_code_is_refused(client: Any) -> None:
    await new_account(client)
    await ok(await call(client, "requestPasswordReset", {"email": "alice@example.com"}))
    token = last_mail(client, "alice@example.com", "Password Reset Requested")
    move_clock(client, dt.timedelta(minutes=16))
    expired = await call(client, "resetPassword", {"token": token, "password": NEW_PASSWORD})
    assert await error_of(expired) == "ExpiredToken"
    assert (await login(client, "alice.test")).status_code == 200


async def test_password_reset_over_real_smtp(
    client_factory: Any, settings_factory: Any, smtp_server: Any
) -> None:
    settings = settings_factory(
        email={"smtp_url": smtp_server.url(), "from_address": "pds@example.com"}
    )
    client = await client_factory(settings)
    await new_account(client)
    await ok(await call(client, "requestPasswordReset", {"email": "alice@example.com"}))

    [(envelope, message)] = smtp_server.received
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert (message["From"], message["To"]) == ("pds@example.com", "alice@example.com")
    assert message["Subject"] == "Password Reset Requested"
    token = token_in(message)
    html = message.get_body(preferencelist=("html",))
    assert html is not None and token in str(html.get_content())
    await ok(await call(client, "resetPassword", {"token": token, "password": NEW_PASSWORD}))
    assert (await login(client, "alice.test", NEW_PASSWORD)).status_code == 200


async def test_mail_failure_is_503_except_where_it_would_reveal_an_account(
    client_factory: Any, settings_factory: Any, smtp_server: Any
) -> None:
    closed = smtp_server.url().replace(f":{smtp_server.port}", ":1")
    settings = settings_factory(email={"smtp_url": closed, "from_address": "pds@example.com"})
    client = await client_factory(settings)
    account = await new_account(client)
    failed = await call(client, "requestEmailConfirmation", headers=bearer(account["accessJwt"]))
    assert await error_of(failed, 503) == "ServiceUnavailable"
    reset = await call(client, "requestPasswordReset", {"email": "alice@example.com"})
    assert reset.status_code == 200


# --- Deleting the account ------------------------------------------------------------------


async def populate(client: Any, account: dict[str, Any]) -> None:
    """Records, a blob used by a record, an unused upload, an app password, sessions."""
    headers = bearer(account["accessJwt"])
    used = await ok(
        await client.post(
            "/xrpc/com.atproto.repo.uploadBlob",
            data=PNG,
            headers={**headers, "Content-Type": "image/png"},
        )
    )
    await ok(
        await client.post(
            "/xrpc/com.atproto.repo.uploadBlob",
            data=PNG + b"unused",
            headers={**headers, "Content-Type": "image/png"},
        )
    )
    record = {
        "$type": POST,
        "text": "look",
        "createdAt": "2024-05-01T12:00:00.000Z",
        "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": used["blob"]}]},
    }
    await ok(
        await client.post(
            "/xrpc/com.atproto.repo.createRecord",
            json={"repo": account["did"], "collection": POST, "record": record},
            headers=headers,
        )
    )
    await ok(await call(client, "createAppPassword", {"name": "app"}, headers=headers))
    await ok(await login(client, "alice.test"))
    await ok(await call(client, "requestEmailConfirmation", headers=headers))


async def rows_of(did: str) -> dict[str, int]:
    counts = {}
    for model in (Account, Repo, RepoBlock, Record, RecordBlob, Blob, RefreshToken):
        counts[model.__name__] = await model.filter(did=did).count()
    counts["AppPassword"] = await AppPassword.filter(did=did).count()
    counts["EmailToken"] = await EmailToken.filter(did=did).count()
    return counts


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


async def firehose_until(client: Any, last_seq: int) -> list[tuple[Any, Any]]:
    """Every frame the firehose replays from the start, up to the event ``last_seq``."""
    frames = []
    async with client.websocket("/xrpc/com.atproto.sync.subscribeRepos?cursor=0") as socket:
        while not frames or frames[-1][1].get("seq") != last_seq:
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                frames.append(libipld.decode_dag_cbor_multi(await socket.receive()))
    return frames


async def test_delete_account_leaves_nothing_behind(client: Any) -> None:
    account = await new_account(client)
    bob = await new_account(client, "bob.test")
    did = account["did"]
    await populate(client, account)
    before = await rows_of(did)
    assert all(before.values()), before
    store = get_pds(client.app).blobs.store
    assert isinstance(store, LocalDiskBlobStore)
    blob_folder = store.root / "repos" / did_folder_name(did)
    assert files_under(blob_folder)

    await ok(await call(client, "requestAccountDelete", headers=bearer(account["accessJwt"])))
    token = last_mail(client, "alice@example.com", "Account Deletion Requested")
    await ok(
        await call(client, "deleteAccount", {"did": did, "password": PASSWORD, "token": token})
    )

    assert set((await rows_of(did)).values()) == {0}
    assert files_under(blob_folder) == []
    assert files_under(store.temp_folder) == []
    [event] = await RepoEvent.filter(did=did)
    assert event.type == "account"
    assert await Account.exists(did=bob["did"])

    last = await RepoEvent.all().order_by("-seq").first()
    assert last is not None and last.seq == event.seq
    header, body = (await firehose_until(client, last.seq))[-1]
    assert header == {"op": 1, "t": "#account"}
    assert (body["did"], body["active"], body["status"]) == (did, False, "deleted")
    assert (await login(client, "alice.test")).status_code == 401


async def test_delete_account_needs_the_password_and_the_code(client: Any) -> None:
    account = await new_account(client)
    did = account["did"]
    await ok(await call(client, "requestAccountDelete", headers=bearer(account["accessJwt"])))
    token = last_mail(client, "alice@example.com", "Account Deletion Requested")

    wrong_password = {"did": did, "password": "wrong password", "token": token}
    assert await error_of(await call(client, "deleteAccount", wrong_password), 401) == (
        "AuthenticationRequired"
    )
    wrong_code = {"did": did, "password": PASSWORD, "token": other_code(token)}
    assert await error_of(await call(client, "deleteAccount", wrong_code)) == "InvalidToken"
    unknown = {"did": "did:plc:nobodyhereatall", "password": PASSWORD, "token": token}
    assert await error_of(await call(client, "deleteAccount", unknown)) == "InvalidRequest"
    move_clock(client, dt.timedelta(minutes=15))
    expired = {"did": did, "password": PASSWORD, "token": token}
    assert await error_of(await call(client, "deleteAccount", expired)) == "ExpiredToken"
    assert await Account.exists(did=did)
    assert await EmailToken.exists(did=did, purpose=EmailTokenPurpose.DELETE_ACCOUNT.value)
