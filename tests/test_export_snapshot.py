"""An export is one snapshot of one commit, however slowly it is read and whatever lands meanwhile.

A ``pds serve`` child process holds a repo of thousands of records; a client reads its
``getRepo`` export (full, and ``since`` a rev) over a socket with a small receive buffer,
stops after the first piece and, while it is stopped, commits creates, updates and
deletes to the same repo (each commit replaces the head commit block and MST nodes, and
the writer drops the replaced blocks), then reads the rest slowly while more writes
land. The official ``@atproto/repo`` must accept the CAR as the commit the export began
at, with exactly that commit's records. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import h11
import httpx
import pytest
from helpers import tid, verify_with_atproto_repo

from exprsn_pds.datamodel import read_car

NOTE = "com.example.snapshot.note"
NOW = "2024-05-01T12:00:00.000Z"
#: Records in the repo before the export: with NOTE_BYTES each, an export of ~10 MB,
#: far more than the socket buffers between the server and a reader that stopped.
RECORDS = 2400
NOTE_BYTES = 4000
WRITES_PER_CALL = 100
#: The reader's socket receive buffer, and how much it reads at a time, then pauses.
RECEIVE_BUFFER_BYTES = 16 * 1024
READ_BYTES = 16 * 1024
READ_PAUSE_S = 0.002
HTTP_TIMEOUT_S = 60.0


def note(n: int, version: int = 0) -> dict[str, Any]:
    return {"$type": NOTE, "text": f"{n}.{version} " + "n" * NOTE_BYTES, "createdAt": NOW}


async def apply_writes(http: httpx.AsyncClient, account: Any, writes: list[dict[str, Any]]) -> None:
    response = await http.post(
        "/xrpc/com.atproto.repo.applyWrites",
        json={"repo": account.did, "writes": writes},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text


def create(n: int) -> dict[str, Any]:
    return {
        "$type": "com.atproto.repo.applyWrites#create",
        "collection": NOTE,
        "rkey": tid(n),
        "value": note(n),
    }


def update(n: int, version: int) -> dict[str, Any]:
    return {
        "$type": "com.atproto.repo.applyWrites#update",
        "collection": NOTE,
        "rkey": tid(n),
        "value": note(n, version),
    }


def delete(n: int) -> dict[str, Any]:
    return {"$type": "com.atproto.repo.applyWrites#delete", "collection": NOTE, "rkey": tid(n)}


async def create_notes(http: httpx.AsyncClient, account: Any, first: int, count: int) -> None:
    for start in range(first, first + count, WRITES_PER_CALL):
        stop = min(start + WRITES_PER_CALL, first + count)
        await apply_writes(http, account, [create(n) for n in range(start, stop)])


class ChurningWriter:
    """Commits that replace the head, MST nodes and record blocks of the repo.

    Each round creates records past those the test counts, updates and deletes earlier
    ones of those, so every round changes nodes all over the tree.
    """

    def __init__(self, http: httpx.AsyncClient, account: Any, rkeys: range) -> None:
        self.http = http
        self.account = account
        self.rkeys = rkeys
        self.rounds = 0

    async def round(self) -> None:
        n = self.rounds
        self.rounds += 1
        fresh = self.rkeys.stop + 1000 * (n + 1)
        targets = [self.rkeys[(n * 97 + step * 389) % len(self.rkeys)] for step in range(6)]
        writes = [create(fresh + i) for i in range(3)]
        writes += [update(k, n + 1) for k in targets[:3]]
        writes += [delete(k) for k in targets[3:]]
        await apply_writes(self.http, self.account, writes)
        # The deleted records come back, so the next round's targets all exist.
        await apply_writes(self.http, self.account, [create(k) for k in targets[3:]])

    async def until(self, done: asyncio.Event) -> None:
        while not done.is_set():
            await self.round()


async def read_slowly(url: str, path: str, paused: Callable[[], Awaitable[None]]) -> bytes:
    """GET ``path`` over a socket with a small receive buffer: read a first piece, await
    ``paused()`` before reading on, then read the rest a little at a time."""
    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=READ_BYTES)
    connection = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="GET", target=path, headers=[("Host", parts.netloc), ("Connection", "close")]
    )
    writer.write(connection.send(request) + connection.send(h11.EndOfMessage()))
    body: list[bytes] = []
    waited = False
    try:
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await reader.read(READ_BYTES))
                await asyncio.sleep(READ_PAUSE_S)
            elif isinstance(event, h11.Response):
                assert event.status_code == 200, event
            elif isinstance(event, h11.Data):
                body.append(bytes(event.data))
                if not waited:
                    waited = True
                    await paused()
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(body)
    finally:
        writer.close()


async def latest_commit(http: httpx.AsyncClient, did: str) -> dict[str, Any]:
    response = await http.get("/xrpc/com.atproto.sync.getLatestCommit", params={"did": did})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def export_while_writing(
    http: httpx.AsyncClient, server: Any, account: Any, path: str, rkeys: range
) -> bytes:
    """The export at ``path``, read slowly while churning commits land on the repo."""
    churn = ChurningWriter(http, account, rkeys)
    done = asyncio.Event()
    background: list[asyncio.Task[None]] = []

    async def paused() -> None:
        for _ in range(5):
            await churn.round()
        background.append(asyncio.create_task(churn.until(done)))

    try:
        car = await read_slowly(server.url, path, paused)
    finally:
        done.set()
        await asyncio.gather(*background)
    assert churn.rounds > 5
    return car


@pytest.fixture
async def server(live_server: Any) -> Any:
    return await live_server(handles=["alice.test"])


@pytest.fixture
async def http(server: Any) -> Any:
    async with httpx.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT_S) as client:
        yield client


async def test_a_full_export_read_slowly_while_writes_land_is_one_commit(
    server: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    alice = server.accounts["alice.test"]
    await create_notes(http, alice, 0, RECORDS)
    before = await latest_commit(http, alice.did)
    car = await export_while_writing(
        http, server, alice, f"/xrpc/com.atproto.sync.getRepo?did={alice.did}", range(RECORDS)
    )
    assert (await latest_commit(http, alice.did))["rev"] != before["rev"]
    (tmp_path / "repo.car").write_bytes(car)
    verified = verify_with_atproto_repo(
        "repo", car=str(tmp_path / "repo.car"), did=alice.did, key=alice.did_key
    )
    assert (verified["commit"], verified["rev"]) == (before["cid"], before["rev"])
    assert sorted(r["rkey"] for r in verified["records"]) == sorted(tid(n) for n in range(RECORDS))


async def test_a_since_export_read_slowly_while_writes_land_is_one_commit(
    server: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    alice = server.accounts["alice.test"]
    await create_notes(http, alice, 0, 100)
    base = await http.get("/xrpc/com.atproto.sync.getRepo", params={"did": alice.did})
    (tmp_path / "base.car").write_bytes(base.content)
    since = (await latest_commit(http, alice.did))["rev"]
    await create_notes(http, alice, 100, RECORDS)
    before = await latest_commit(http, alice.did)
    diff = await export_while_writing(
        http,
        server,
        alice,
        f"/xrpc/com.atproto.sync.getRepo?did={alice.did}&since={since}",
        range(100, 100 + RECORDS),
    )
    (tmp_path / "diff.car").write_bytes(diff)
    roots, _ = read_car(diff)
    assert [str(root) for root in roots] == [before["cid"]]
    verified = verify_with_atproto_repo(
        "diff",
        base=str(tmp_path / "base.car"),
        diff=str(tmp_path / "diff.car"),
        did=alice.did,
        key=alice.did_key,
    )
    assert verified["rev"] == before["rev"]
    assert sorted(w["rkey"] for w in verified["writes"]) == sorted(
        tid(n) for n in range(100, 100 + RECORDS)
    )
