"""The example third-party plugin is served once installed, with no change to the core.

It is pip-installed into a folder of its own and exercised in a child process, so
its entry point never leaks into the rest of the suite.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import repo_record_uris, write_through_kills

from exprsn_pds.events.consumer_store import consumer_lag
from exprsn_pds.pds import CORE_MODEL_APPS
from exprsn_pds.storage import Database
from exprsn_pds.storage.sql import current_client, fetch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "exprsn-pds-bookmarks"
BOOKMARK = "com.example.bookmarks.bookmark"
INDEX_CONSUMER = "bookmarks.index"
KILL_ROUNDS = 2
WRITERS = 4
KILL_AFTER_S = (0.3, 1.2)
CATCH_UP_TIMEOUT_S = 60.0
# A short lease, so that a restarted server takes the consumer over from the killed one soon.
FAST_CONSUMERS = """
[sync]
consumer_lease_ttl_s = 1.5
consumer_poll_interval_s = 0.5
"""

CHILD = """
import asyncio, json, logging, sys
from exprsn_pds.app import create_app, get_pds
from exprsn_pds.config import load_settings
from exprsn_pds.lexicon import LexiconValidationError

BOOKMARK = "com.example.bookmarks.bookmark"

class KeepLines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

async def index_bookmarks(client, pds):
    # Bookmarks written over XRPC reach the plugin's index through its durable consumer.
    response = await client.post("/xrpc/com.atproto.server.createAccount", json={
        "handle": "alice.test", "email": "alice@example.com", "password": "password-1"})
    account = await response.get_json()
    headers = {"Authorization": f"Bearer {account['accessJwt']}"}
    uris = []
    for subject in ["HTTPS://Example.COM/a?utm_source=x", "https://other.example/b", "ftp://x/"]:
        response = await client.post("/xrpc/com.atproto.repo.createRecord", headers=headers,
            json={"repo": account["did"], "collection": BOOKMARK, "record": {
                "$type": BOOKMARK, "subject": subject, "createdAt": "2024-01-01T00:00:00Z"}})
        uris.append((await response.get_json())["uri"])
    await client.post("/xrpc/com.atproto.repo.deleteRecord", headers=headers, json={
        "repo": account["did"], "collection": BOOKMARK, "rkey": uris[1].rsplit("/", 1)[1]})
    async with asyncio.timeout(30):
        while (lag := await pds.consumers.lag("bookmarks.index")) is None or lag.events_behind:
            await asyncio.sleep(0.05)
    response = await client.get("/xrpc/com.example.bookmarks.listBookmarks")
    listed = (await response.get_json())["bookmarks"]
    response = await client.get(
        "/xrpc/com.example.bookmarks.listBookmarks", query_string={"host": "other.example"})
    other = (await response.get_json())["bookmarks"]
    # The plugin writes to the caller's repo itself, through pds.repo_writer.
    response = await client.post("/xrpc/com.example.bookmarks.save", headers=headers,
        json={"url": "https://Saved.example/x?utm_medium=y"})
    saved = await response.get_json()
    rkey = saved["uri"].rsplit("/", 1)[1]
    response = await client.get("/xrpc/com.atproto.repo.getRecord", query_string={
        "repo": account["did"], "collection": BOOKMARK, "rkey": rkey})
    stored = await response.get_json()
    response = await client.post("/xrpc/com.example.bookmarks.save",
        json={"url": "https://saved.example/"})
    anonymous = response.status_code
    # pds_check_record refuses a blocked host before commit, whoever writes it.
    refused = {}
    before = await pds.repos.state(account["did"])
    response = await client.post("/xrpc/com.atproto.repo.createRecord", headers=headers,
        json={"repo": account["did"], "collection": BOOKMARK, "record": {
            "$type": BOOKMARK, "subject": "https://BLOCKED.example/p",
            "createdAt": "2024-01-01T00:00:00Z"}})
    refused["createRecord"] = [response.status_code, await response.get_json()]
    response = await client.post("/xrpc/com.example.bookmarks.save", headers=headers,
        json={"url": "https://blocked.example/q"})
    refused["save"] = [response.status_code, await response.get_json()]
    after = await pds.repos.state(account["did"])
    refused["head_unchanged"] = str(before.head) == str(after.head)
    return {"uris": uris, "listed": listed, "other": other, "saved": saved,
            "stored": stored, "anonymous": anonymous, "refused": refused}

async def main():
    config = sys.argv[1] + "/pds.toml"
    with open(config, "w") as file:
        file.write('[plugins.bookmarks]\\nblocked_hosts = ["blocked.example"]\\n')
    settings = load_settings(config, environ={"PDS_DATA_DIRECTORY": sys.argv[1]})
    app = create_app(settings)
    pds = get_pds(app)
    out = {}
    async with app.test_app() as test_app:
        saved = KeepLines()
        logger = logging.getLogger("exprsn_pds_bookmarks")
        logger.addHandler(saved)
        logger.setLevel(logging.INFO)
        client = test_app.test_client()
        response = await client.get(
            "/xrpc/com.example.bookmarks.normalizeUrl",
            query_string={"url": "HTTPS://Example.COM:443/a?b=2&utm_source=x&a=1#top"},
        )
        out["normalize"] = [response.status_code, await response.get_json()]
        response = await client.get(
            "/xrpc/com.example.bookmarks.normalizeUrl", query_string={"url": "ftp://x.example/"}
        )
        out["unsupported"] = [response.status_code, await response.get_json()]
        out["indexed"] = await index_bookmarks(client, pds)
        out["logged"] = saved.lines
    pds.lexicons.validate_record("com.example.bookmarks.bookmark", {
        "$type": "com.example.bookmarks.bookmark",
        "subject": "https://example.com/", "createdAt": "2024-01-01T00:00:00Z"})
    try:
        pds.lexicons.validate_record("com.example.bookmarks.bookmark", {
            "$type": "com.example.bookmarks.bookmark", "subject": "https://example.com/"})
        out["invalid_record"] = "accepted"
    except LexiconValidationError as error:
        out["invalid_record"] = str(error)
    print(json.dumps(out))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
    )
    return target


def _child_env(site: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    environment["PYTHONPATH"] = str(site)
    return environment


def test_installed_plugin_method_is_served_and_its_record_validated(
    installed: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env=_child_env(installed),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["normalize"] == [
        200,
        {"url": "https://example.com/a?a=1&b=2", "host": "example.com"},
    ]
    assert out["unsupported"][0] == 400
    assert out["unsupported"][1]["error"] == "UnsupportedScheme"
    assert "createdAt" in out["invalid_record"]
    indexed = out["indexed"]
    assert indexed["listed"] == [
        {"uri": indexed["uris"][0], "url": "https://example.com/a", "host": "example.com"}
    ]
    assert indexed["other"] == []
    saved = indexed["saved"]
    assert saved["url"] == "https://saved.example/x"
    assert indexed["stored"]["cid"] == saved["cid"]
    assert indexed["stored"]["value"]["subject"] == "https://saved.example/x"
    assert indexed["anonymous"] == 401
    refused = indexed["refused"]
    for status, body in (refused["createRecord"], refused["save"]):
        assert status == 400
        assert body["error"] == "InvalidRequest"
        assert "bookmarks.blocked_host" in body["message"]
        assert "blocked.example" in body["message"]
    assert refused["head_unchanged"]
    # pds_on_event saw each bookmark created through this process, the plugin's own too.
    assert [line.split()[2] for line in out["logged"]] == [*indexed["uris"], saved["uri"]]


def test_installed_plugin_is_listed_with_its_namespace(installed: Path, tmp_path: Path) -> None:
    env = _child_env(installed) | {"PDS_DATA_DIRECTORY": str(tmp_path)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pds"), "plugins", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("bookmarks"))
    assert "1.0.0" in row and "yes" in row and "com.example.bookmarks" in row


def test_installed_plugin_can_be_disabled_by_config(installed: Path, tmp_path: Path) -> None:
    env = _child_env(installed) | {
        "PDS_DATA_DIRECTORY": str(tmp_path),
        "PDS_DISABLE_PLUGINS": "bookmarks",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pds"), "plugins", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    row = next(line for line in result.stdout.splitlines() if line.startswith("bookmarks"))
    assert " no " in row


# --- The durable consumer survives kill -9 ------------------------------------------------


def _bookmark(worker: int, n: int) -> dict[str, Any]:
    return {
        "$type": BOOKMARK,
        "subject": f"https://w{worker}.example/{n}",
        "createdAt": "2024-01-01T00:00:00Z",
    }


async def _index_once_caught_up(server: Any, did: str) -> tuple[set[str], set[str]]:
    """The indexed AT-URIs and those of the repo's bookmark records (through the running
    server), once the index is caught up with the event log."""
    database = Database(
        server.settings.database_url, CORE_MODEL_APPS, server.settings.data_directory
    )
    await database.connect()
    try:
        async with asyncio.timeout(CATCH_UP_TIMEOUT_S):
            while (
                lag := await consumer_lag(current_client(), INDEX_CONSUMER)
            ) is None or lag.events_behind:
                await asyncio.sleep(0.1)
        rows = await fetch(current_client(), "SELECT uri FROM bookmarks_bookmark")
    finally:
        await database.close()
    assert lag.missed_events == 0
    return {row[0] for row in rows}, await repo_record_uris(server.url, did, BOOKMARK)


async def test_the_index_consumer_catches_up_after_kill_9_with_nothing_missing(
    installed: Path, live_server: Any, tmp_path: Path
) -> None:
    config = tmp_path / "pds.toml"
    config.write_text(FAST_CONSUMERS)
    # No plugin list: every installed plugin, the example included.
    env = {"PYTHONPATH": str(installed), "PDS_CONFIG": str(config), "PDS_ENABLE_PLUGINS": ""}
    server, account, acknowledged = await write_through_kills(
        live_server,
        env,
        BOOKMARK,
        _bookmark,
        rounds=KILL_ROUNDS,
        writers=WRITERS,
        kill_after_s=KILL_AFTER_S,
    )
    indexed, records = await _index_once_caught_up(server, account.did)
    assert acknowledged, "no write was acknowledged before the kills"
    assert acknowledged <= records
    assert indexed == records
