"""The Python atproto SDK, unchanged, as a client: account, login, refresh, writes."""

from __future__ import annotations

from typing import Any

import pytest
from atproto import AsyncClient, models
from atproto.exceptions import AtProtocolError

PASSWORD = "sdk-password-123"
POST = "app.bsky.feed.post"


async def test_sdk_creates_account_logs_in_and_writes(live_server: Any) -> None:
    server = await live_server()
    client = AsyncClient(base_url=f"{server.url}/xrpc")
    created = await client.com.atproto.server.create_account(
        models.ComAtprotoServerCreateAccount.Data(
            handle="sdk-user.test", email="sdk@example.com", password=PASSWORD
        )
    )
    assert created.handle == "sdk-user.test"

    await client.login("sdk-user.test", PASSWORD, fetch_bsky_profile=False)
    session = await client.com.atproto.server.get_session()
    assert session.did == created.did
    assert session.email == "sdk@example.com"
    assert session.active is True

    record = models.AppBskyFeedPost.Record(
        text="hello from the SDK", created_at=client.get_current_time_iso()
    )
    written = await client.com.atproto.repo.create_record(
        models.ComAtprotoRepoCreateRecord.Data(repo=created.did, collection=POST, record=record)
    )
    rkey = written.uri.rsplit("/", 1)[1]
    fetched = await client.com.atproto.repo.get_record(
        models.ComAtprotoRepoGetRecord.Params(repo=created.did, collection=POST, rkey=rkey)
    )
    assert fetched.value.text == "hello from the SDK"

    refreshed = await client.com.atproto.server.refresh_session(
        headers={"Authorization": f"Bearer {client._session.refresh_jwt}"}
    )
    assert refreshed.did == created.did

    app_password = await client.com.atproto.server.create_app_password(
        models.ComAtprotoServerCreateAppPassword.Data(name="sdk app")
    )
    app_client = AsyncClient(base_url=f"{server.url}/xrpc")
    await app_client.login("sdk@example.com", app_password.password, fetch_bsky_profile=False)
    with pytest.raises(AtProtocolError):
        await app_client.com.atproto.server.create_app_password(
            models.ComAtprotoServerCreateAppPassword.Data(name="escalation")
        )

    wrong = AsyncClient(base_url=f"{server.url}/xrpc")
    with pytest.raises(AtProtocolError):
        await wrong.login("sdk-user.test", "not the password", fetch_bsky_profile=False)
