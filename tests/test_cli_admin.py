"""The admin verbs of ``pds`` against a running server (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import libipld
import pytest
from click.testing import CliRunner

from exprsn_pds.cli import main

RECEIVE_TIMEOUT_S = 10.0


def run(server: Any, *arguments: str) -> str:
    """``pds <arguments>`` configured like ``server`` (its admin password, its port)."""
    settings = server.settings
    env = {
        "PDS_DATA_DIRECTORY": str(settings.data_directory),
        "PDS_ADMIN_PASSWORD": settings.admin_password,
        "PDS_HOSTNAME": "127.0.0.1",
        "PDS_PORT": server.url.rsplit(":", 1)[1],
    }
    result = CliRunner().invoke(main, list(arguments), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def field(output: str, name: str) -> str:
    found = re.search(rf"^{name}\s*: (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def login(server: Any, identifier: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": identifier, "password": password},
    )


async def account_events(server: Any, did: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` ``#account`` events of ``did`` on the server's firehose."""
    from websockets.asyncio.client import connect

    url = server.url.replace("http", "ws", 1) + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
    found: list[dict[str, Any]] = []
    async with connect(url) as socket:
        while len(found) < count:
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                header, body = libipld.decode_dag_cbor_multi(await socket.recv(decode=False))
            if header["t"] == "#account" and body["did"] == did:
                found.append(body)
    return found


async def test_account_verbs_against_a_live_server(live_server: Any) -> None:
    server = await live_server(env={"PDS_INVITE_REQUIRED": "true"})
    url = ("--url", server.url)
    created = run(server, "account", *url, "create", "alice@example.com", "alice.test")
    did, password = field(created, "DID"), field(created, "Password")
    assert did.startswith("did:") and len(password) >= 20
    assert login(server, "alice.test", password).status_code == 200

    listed = run(server, "account", *url, "list")
    row = rf"^alice\.test\s+alice@example\.com\s+(\w+)\s+{re.escape(did)}$"
    assert re.findall(row, listed, re.M) == ["active"]

    latest = f"{server.url}/xrpc/com.atproto.sync.getLatestCommit?did={did}"
    run(server, "account", *url, "takedown", "alice.test")  # a handle names the account too
    assert httpx.get(latest).json()["error"] == "RepoTakendown"
    assert re.findall(row, run(server, "account", "list", *url), re.M) == ["takendown"]
    info = run(server, "account", "info", "alice.test")
    assert (field(info, "DID"), field(info, "Status")) == (did, "takendown")
    run(server, "account", *url, "untakedown", did)
    assert httpx.get(latest).status_code == 200
    events = await account_events(server, did, 3)
    assert [(e["active"], e.get("status")) for e in events] == [
        (True, None),
        (False, "takendown"),
        (True, None),
    ]

    reset = run(server, "account", *url, "reset-password", did)
    new_password = reset.strip().rsplit(" ", 1)[1]
    assert login(server, did, password).status_code == 401
    assert login(server, did, new_password).status_code == 200

    assert did in run(server, "account", *url, "delete", "--yes", did)
    assert httpx.get(latest).json()["error"] == "RepoNotFound"
    assert did not in run(server, "account", *url, "list")


async def test_invite_create_defaults_to_the_configured_server(live_server: Any) -> None:
    server = await live_server()
    code = run(server, "invite", "create", "--uses", "2").strip()
    codes = httpx.get(
        f"{server.url}/xrpc/com.atproto.admin.getInviteCodes",
        auth=("admin", server.settings.admin_password),
    ).json()["codes"]
    assert [(c["code"], c["available"]) for c in codes] == [(code, 2)]


def test_account_verbs_refuse_what_is_neither_a_did_nor_a_handle(tmp_path: Any) -> None:
    result = CliRunner().invoke(
        main, ["account", "takedown", "alice"], env={"PDS_DATA_DIRECTORY": str(tmp_path)}
    )
    assert result.exit_code != 0
    assert "must be a DID (did:...) or a handle" in result.output


def test_without_the_servers_configuration_the_missing_setting_is_named(tmp_path: Any) -> None:
    result = CliRunner().invoke(
        main, ["account", "list"], env={"PDS_DATA_DIRECTORY": str(tmp_path / "data")}
    )
    assert result.exit_code != 0
    assert "secrets.admin_password (PDS_ADMIN_PASSWORD) is not set" in result.output
    assert not (tmp_path / "data").exists()  # no new secrets file, no new password


async def test_invite_list_and_url_where_users_put_it(live_server: Any) -> None:
    server = await live_server()
    code = run(server, "--url", server.url, "invite", "create", "--uses", "3").strip()
    listed = run(server, "invite", "list", "--url", server.url)
    assert re.search(rf"^{code}\s+3\s+0\s+no\s+", listed, re.M), listed


def test_a_server_error_is_a_clean_message(tmp_path: Any) -> None:
    result = CliRunner().invoke(
        main,
        ["account", "--url", "http://127.0.0.1:9", "list"],
        env={"PDS_DATA_DIRECTORY": str(tmp_path), "PDS_ADMIN_PASSWORD": "a-password"},
    )
    assert result.exit_code != 0
    assert "cannot reach http://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def relay() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local stub relay that records the ``requestCrawl`` bodies it gets."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert self.path == "/xrpc/com.atproto.sync.requestCrawl"
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    stub = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{stub.server_address[1]}", received
    finally:
        stub.shutdown()
        stub.server_close()


def test_request_crawl_asks_the_configured_relays(
    tmp_path: Any, relay: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = relay
    env = {
        "PDS_DATA_DIRECTORY": str(tmp_path),
        "PDS_HOSTNAME": "pds.example.com",
        "PDS_CRAWLERS": url,
    }
    result = CliRunner().invoke(main, ["request-crawl"], env=env)
    assert result.exit_code == 0, result.output
    assert received == [{"hostname": "pds.example.com"}]
    refused = CliRunner().invoke(
        main, ["request-crawl", "http://127.0.0.1:9"], env={"PDS_DATA_DIRECTORY": str(tmp_path)}
    )
    assert refused.exit_code != 0 and "cannot reach" in refused.output
