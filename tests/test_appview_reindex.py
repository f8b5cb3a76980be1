"""``pds appview reindex`` rebuilds the index the events built, row for row; after
``kill -9`` during writes the durable consumer catches up with exact counts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from appview_replay import Replay, index_rows, load_scenario, wipe_index
from conftest import BUILT_IN_PLUGINS, _free_port, _server_environment
from helpers import repo_record_uris, write_through_kills

from exprsn_pds.app import create_app, get_pds
from exprsn_pds.config import Settings
from exprsn_pds.events.consumer_store import consumer_lag
from exprsn_pds.pds import CORE_MODEL_APPS
from exprsn_pds.storage import Database
from exprsn_pds.storage.sql import current_client, execute, fetch

CONSUMER: Final = "appview.index"
CATCH_UP_TIMEOUT_S: Final = 60.0
CLI_TIMEOUT_S: Final = 300
ENABLED: Final = ",".join([*BUILT_IN_PLUGINS, "appview"])
POST: Final = "app.bsky.feed.post"
KILL_ROUNDS: Final = 2
WRITERS: Final = 4
KILL_AFTER_S: Final = (0.3, 1.2)
FAST_CONSUMERS: Final = """
[sync]
consumer_lease_ttl_s = 1.5
consumer_poll_interval_s = 0.5
"""


async def _caught_up(lag_of: Callable[[], Any]) -> None:
    async with asyncio.timeout(CATCH_UP_TIMEOUT_S):
        while (lag := await lag_of()) is None or lag.events_behind:
            await asyncio.sleep(0.05)
    assert lag.missed_events == 0


def _pds(settings: Settings, *arguments: str) -> str:
    """Run ``pds …`` on ``settings``' database and data directory; its output."""
    env = _server_environment(settings, _free_port()) | {"PDS_ENABLE_PLUGINS": ENABLED}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pds"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


async def _rows_of(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    database = Database(settings.database_url, CORE_MODEL_APPS, settings.data_directory)
    await database.connect()
    try:
        return await index_rows(current_client())
    finally:
        await database.close()


async def test_reindex_rebuilds_the_incrementally_built_index_row_for_row(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        plugins={"enabled": [*BUILT_IN_PLUGINS, "appview"]},
        accounts={"service_handle_domains": [".test"]},
    )
    scenario, _ = load_scenario()
    app = create_app(settings)
    async with app.test_app() as test_app:
        pds = get_pds(app)
        replay = Replay(scenario, test_app.test_client(), pds)
        await replay.run()
        await _caught_up(lambda: pds.consumers.lag(CONSUMER))
        built = await index_rows(current_client())
        await pds.consumers.stop()
        async with pds.database.transaction() as transaction:
            await wipe_index(transaction)
    assert sum(len(rows) for rows in built.values()) > 100
    output = _pds(settings, "appview", "reindex")
    assert "reindexing" in output and f"reindexed {len(scenario['accounts'])} accounts" in output
    assert await _rows_of(settings) == built
    # One account's rows lost (its marks kept): --did writes them again.
    alice = replay.dids["alice"]
    database = Database(settings.database_url, CORE_MODEL_APPS, settings.data_directory)
    await database.connect()
    try:
        for table in ("appview_follow", "appview_profile", "appview_list_item"):
            await execute(current_client(), f"DELETE FROM {table} WHERE did = ?", [alice])
    finally:
        await database.close()
    assert await _rows_of(settings) != built
    _pds(settings, "appview", "reindex", "--did", alice)
    assert await _rows_of(settings) == built


def _post(worker: int, n: int) -> dict[str, Any]:
    return {"$type": POST, "text": f"{worker}-{n}", "createdAt": "2026-01-01T00:00:00.000Z"}


async def test_after_kill_9_during_writes_the_index_catches_up_with_exact_counts(
    live_server: Any, tmp_path: Path
) -> None:
    config = tmp_path / "pds.toml"
    config.write_text(FAST_CONSUMERS)
    env = {"PDS_CONFIG": str(config), "PDS_ENABLE_PLUGINS": ENABLED}
    server, account, acknowledged = await write_through_kills(
        live_server,
        env,
        POST,
        _post,
        rounds=KILL_ROUNDS,
        writers=WRITERS,
        kill_after_s=KILL_AFTER_S,
    )
    records = await repo_record_uris(server.url, account.did, POST)
    settings = server.settings
    database = Database(settings.database_url, CORE_MODEL_APPS, settings.data_directory)
    await database.connect()
    try:
        await _caught_up(lambda: consumer_lag(current_client(), CONSUMER))
        indexed = {row[0] for row in await fetch(current_client(), "SELECT uri FROM appview_post")}
        counted = await fetch(
            current_client(), "SELECT posts FROM appview_actor_counts WHERE did = ?", [account.did]
        )
    finally:
        await database.close()
    assert acknowledged, "no write was acknowledged before the kills"
    assert acknowledged <= records
    assert indexed == records
    assert int(counted[0][0]) == len(records)
