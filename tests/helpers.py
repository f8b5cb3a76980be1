"""Helpers shared by several test modules (``from helpers import ...``; tests/ is on the path).

Fixtures live in ``conftest.py``; these are plain functions.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from exprsn_pds.datamodel import Cid
from exprsn_pds.pds import Pds
from exprsn_pds.repo.blocks import RepoBlockReader
from exprsn_pds.repo.commit import parse_commit
from exprsn_pds.repo.models import Record, Repo
from exprsn_pds.repo.mst import Mst
from exprsn_pds.syntax import Tid

REQUEST_TIMEOUT_S = 10.0
RECEIVE_TIMEOUT_S = 30.0
#: Bound of :func:`kill_while_writing`'s writes per client.
MAX_WRITES = 10_000
INTEROP = Path(__file__).resolve().parent / "interop"
NODE_TIMEOUT_S = 120
#: The timestamp of :func:`tid`'s first record key.
EPOCH_US = 1_700_000_000_000_000


def tid(n: int) -> str:
    """The n-th record key of a test repo (TIDs sort by n)."""
    return str(Tid.from_parts(EPOCH_US + n, 0))


def verify_with_atproto_repo(command: str, **arguments: Any) -> dict[str, Any]:
    """Run the official ``@atproto/repo`` on our output (tests/interop/verify_repo.mjs)."""
    result = subprocess.run(
        ["node", str(INTEROP / "verify_repo.mjs"), command, json.dumps(arguments)],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["ok"], answer.get("error")
    return answer


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


async def error_of(response: Any) -> tuple[int, str, str]:
    """Status, error name and message of an XRPC-shaped error (fails on any other shape)."""
    body = await response.get_json()
    assert isinstance(body, dict) and set(body) == {"error", "message"}, body
    return response.status_code, body["error"], body["message"]


async def kill_while_writing(
    server: Any,
    account: Any,
    collection: str,
    record: Callable[[int, int], dict[str, Any]],
    acknowledged: set[str],
    *,
    writers: int,
    kill_after_s: tuple[float, float],
) -> None:
    """``writers`` clients create ``record(worker, n)`` (n = 0, 1, ...) in ``account``'s
    repo on the live ``server``, which is killed (SIGKILL) after a random time in
    ``kill_after_s``; the URI of every acknowledged write goes into ``acknowledged``."""
    tasks = [
        asyncio.create_task(
            _create_until_refused(
                server.url, account, collection, partial(record, worker), acknowledged
            )
        )
        for worker in range(writers)
    ]
    await asyncio.sleep(random.uniform(*kill_after_s))
    server.kill()
    await asyncio.gather(*tasks)


async def write_through_kills(
    live_server: Any,
    env: dict[str, str],
    collection: str,
    record: Callable[[int, int], dict[str, Any]],
    *,
    rounds: int,
    writers: int,
    kill_after_s: tuple[float, float],
) -> tuple[Any, Any, set[str]]:
    """A live server on ``env`` with the account ``alice.test``, killed ``rounds`` times
    during :func:`kill_while_writing` (started again before each later round), then started
    once more: ``(that server, alice's account, the URIs of the acknowledged writes)``."""
    acknowledged: set[str] = set()
    server = await live_server(handles=["alice.test"], env=env)
    account = server.accounts["alice.test"]
    for round_number in range(rounds):
        if round_number:
            server = await live_server(env=env)
        await kill_while_writing(
            server,
            account,
            collection,
            record,
            acknowledged,
            writers=writers,
            kill_after_s=kill_after_s,
        )
    return await live_server(env=env), account, acknowledged


async def _create_until_refused(
    url: str,
    account: Any,
    collection: str,
    record: Callable[[int], dict[str, Any]],
    acknowledged: set[str],
) -> None:
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as http:
        for n in range(MAX_WRITES):
            try:
                response = await http.post(
                    f"{url}/xrpc/com.atproto.repo.createRecord",
                    json={"repo": account.did, "collection": collection, "record": record(n)},
                    headers=account.headers,
                )
            except httpx.TransportError:
                return
            if response.status_code != 200:
                return
            acknowledged.add(response.json()["uri"])


def path_of(uri: str) -> str:
    """The ``collection/rkey`` path of a record's ``at://`` URI."""
    return uri.split("/", 3)[3]


async def stored_leaves(pds: Pds, did: str) -> tuple[Cid, dict[str, Cid], RepoBlockReader]:
    """The head commit and the MST's path → CID at the head of ``did``'s stored repo, after
    checking that the head commit matches the repo row and the MST matches the record
    index; with the reader they were read through."""
    repo = await Repo.get(did=did)
    reader = RepoBlockReader(did, pds.repo_cache, pds.database.client)
    head = Cid.parse(repo.head)
    commit = parse_commit((await reader.get_blocks([head]))[head])
    assert str(commit.data) == repo.data and commit.rev == repo.rev
    mst = await Mst.load(reader, commit.data)
    leaves = {key: value async for key, value in mst.walk()}
    indexed = {f"{r.collection}/{r.rkey}": Cid.parse(r.cid) for r in await Record.filter(did=did)}
    assert leaves == indexed
    return head, leaves, reader


async def sdk_firehose_events(
    server_url: str, kind: type[Any], enough: Callable[[list[Any]], bool]
) -> list[Any]:
    """The events of type ``kind`` that the atproto SDK's firehose client parses from
    ``server_url``'s stream (from cursor 0), read until ``enough(events)``."""
    # Imported here: the SDK takes seconds to import, and most users of this module never
    # need it.
    from atproto import parse_subscribe_repos_message
    from atproto_firehose import AsyncFirehoseSubscribeReposClient

    client = AsyncFirehoseSubscribeReposClient(
        {"cursor": 0}, base_uri=server_url.replace("http://", "ws://") + "/xrpc"
    )
    events: list[Any] = []
    done = asyncio.Event()

    async def on_message(message: Any) -> None:
        event = parse_subscribe_repos_message(message)
        if isinstance(event, kind):
            events.append(event)
            if enough(events):
                done.set()

    task = asyncio.create_task(client.start(on_message))
    try:
        await asyncio.wait_for(done.wait(), RECEIVE_TIMEOUT_S)
    finally:
        await client.stop()
        await asyncio.wait_for(task, RECEIVE_TIMEOUT_S)
    return events


async def repo_record_uris(url: str, did: str, collection: str) -> set[str]:
    """The AT-URIs of ``did``'s records in ``collection``, as ``listRecords`` pages them."""
    uris: set[str] = set()
    params = {"repo": did, "collection": collection, "limit": "100"}
    async with httpx.AsyncClient(base_url=url) as http:
        while True:
            response = await http.get("/xrpc/com.atproto.repo.listRecords", params=params)
            response.raise_for_status()
            page = response.json()
            uris.update(record["uri"] for record in page["records"])
            if not page["records"] or "cursor" not in page:
                return uris
            params["cursor"] = page["cursor"]
