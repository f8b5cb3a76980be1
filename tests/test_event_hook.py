"""``pds_on_event``: every committed event reaches plugins once, typed, after its commit.

A temporary plugin records what it sees while an account is created, written to, renamed,
deactivated, reactivated and taken down over XRPC; what it saw must be exactly the
events stored, in ``seq`` order (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from exprsn_pds import (
    AccountEvent,
    AnyEvent,
    CommitEvent,
    IdentityEvent,
    RepoOp,
    SyncEvent,
    decode_event,
    hookimpl,
)
from exprsn_pds.app import get_pds
from exprsn_pds.datamodel import Cid
from exprsn_pds.events.models import RepoEvent

XRPC = "/xrpc"
PASSWORD = "correct horse battery staple"
POST = "app.bsky.feed.post"


def post(text: str) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": "2024-05-01T12:00:00.000Z"}


class Recorder:
    """Keeps every event it is given."""

    def __init__(self) -> None:
        self.events: list[AnyEvent] = []

    @hookimpl
    def pds_on_event(self, event: AnyEvent) -> None:
        self.events.append(event)


class AsyncRecorder(Recorder):
    """Records from an awaitable, as a plugin doing I/O would."""

    @hookimpl
    async def pds_on_event(self, event: AnyEvent) -> None:
        self.events.append(event)


class Raising:
    """Fails on every event, synchronously."""

    @hookimpl
    def pds_on_event(self, event: AnyEvent) -> None:
        raise RuntimeError(f"cannot handle event {event.seq}")


class RaisingLater:
    """Fails on every event from its awaitable."""

    @hookimpl
    async def pds_on_event(self, event: AnyEvent) -> None:
        raise RuntimeError(f"cannot handle event {event.seq} either")


async def call(client: Any, nsid: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = await client.post(f"{XRPC}/{nsid}", json=body, headers=headers)
    answer = await response.get_json()
    assert response.status_code == 200, answer
    return answer


async def stored_events(did: str) -> list[AnyEvent]:
    rows = await RepoEvent.filter(did=did).order_by("seq")
    return [decode_event(bytes(row.frame)) for row in rows]


async def test_a_plugin_sees_exactly_the_events_of_each_change(
    client_factory: Any, admin_headers: dict[str, str]
) -> None:
    recorder = Recorder()
    client = await client_factory(extra_plugins=[("recorder", recorder)])
    created = await call(
        client,
        "com.atproto.server.createAccount",
        {"handle": "alice.test", "email": "alice@example.com", "password": PASSWORD},
        {},
    )
    did = created["did"]
    auth = {"Authorization": f"Bearer {created['accessJwt']}"}
    kinds = [type(event) for event in recorder.events]
    assert kinds == [IdentityEvent, AccountEvent, CommitEvent]

    one = await call(
        client,
        "com.atproto.repo.createRecord",
        {"repo": did, "collection": POST, "rkey": "3kaaaaaaaaaa2", "record": post("one")},
        auth,
    )
    batch = await call(
        client,
        "com.atproto.repo.applyWrites",
        {
            "repo": did,
            "writes": [
                {
                    "$type": "com.atproto.repo.applyWrites#update",
                    "collection": POST,
                    "rkey": "3kaaaaaaaaaa2",
                    "value": post("two"),
                },
                {
                    "$type": "com.atproto.repo.applyWrites#create",
                    "collection": POST,
                    "rkey": "3kaaaaaaaaaa3",
                    "value": post("three"),
                },
            ],
        },
        auth,
    )
    await call(
        client,
        "com.atproto.repo.deleteRecord",
        {"repo": did, "collection": POST, "rkey": "3kaaaaaaaaaa3"},
        auth,
    )
    await call(client, "com.atproto.identity.updateHandle", {"handle": "alice2.test"}, auth)
    await call(client, "com.atproto.server.deactivateAccount", {}, auth)
    session = await call(
        client, "com.atproto.server.createSession", {"identifier": did, "password": PASSWORD}, {}
    )  # deactivation ended the first session
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}
    await call(client, "com.atproto.server.activateAccount", {}, auth)
    await call(
        client,
        "com.atproto.admin.updateSubjectStatus",
        {
            "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": did},
            "takedown": {"applied": True, "ref": "rule-7"},
        },
        admin_headers,
    )

    seen = recorder.events
    assert seen == await stored_events(did)
    assert [event.seq for event in seen] == sorted({event.seq for event in seen})
    identity, active, creation, created_one, updated, deleted, renamed, *rest = seen
    deactivated, re_identity, reactivated, resync, takendown = rest
    assert identity == IdentityEvent(
        did=did, handle="alice.test", seq=identity.seq, time=identity.time
    )
    assert (active.did, active.active, active.status) == (did, True, None)
    assert isinstance(creation, CommitEvent) and creation.ops == () and creation.since is None

    post_one = Cid.parse(one["cid"])
    assert isinstance(created_one, CommitEvent)
    assert created_one.commit == Cid.parse(one["commit"]["cid"])
    assert created_one.since == creation.rev
    assert created_one.ops == (
        RepoOp("create", POST, "3kaaaaaaaaaa2", post_one, record=post("one")),
    )
    assert isinstance(updated, CommitEvent)
    assert updated.commit == Cid.parse(batch["commit"]["cid"])
    two, three = (Cid.parse(result["cid"]) for result in batch["results"])
    assert updated.ops == (
        RepoOp("update", POST, "3kaaaaaaaaaa2", two, prev=post_one, record=post("two")),
        RepoOp("create", POST, "3kaaaaaaaaaa3", three, record=post("three")),
    )
    assert isinstance(deleted, CommitEvent)
    assert deleted.ops == (RepoOp("delete", POST, "3kaaaaaaaaaa3", None, prev=three),)

    assert isinstance(renamed, IdentityEvent) and renamed.handle == "alice2.test"
    assert isinstance(deactivated, AccountEvent)
    assert (deactivated.active, deactivated.status) == (False, "deactivated")
    assert isinstance(re_identity, IdentityEvent) and re_identity.handle == "alice2.test"
    assert isinstance(reactivated, AccountEvent) and reactivated.active
    assert isinstance(resync, SyncEvent) and resync.rev == deleted.rev
    assert resync.commit == deleted.commit
    assert isinstance(takendown, AccountEvent)
    assert (takendown.active, takendown.status) == (False, "takendown")


async def test_a_failing_implementation_fails_nothing_and_skips_no_other(
    client_factory: Any,
) -> None:
    before, after = AsyncRecorder(), Recorder()
    client = await client_factory(
        extra_plugins=[
            ("before", before),
            ("raising", Raising()),
            ("raising-later", RaisingLater()),
            ("after", after),
        ]
    )
    pds = get_pds(client.app)
    created = await call(
        client,
        "com.atproto.server.createAccount",
        {"handle": "bob.test", "email": "bob@example.com", "password": PASSWORD},
        {},
    )
    auth = {"Authorization": f"Bearer {created['accessJwt']}"}
    written = await call(
        client,
        "com.atproto.repo.createRecord",
        {"repo": created["did"], "collection": POST, "record": post("still written")},
        auth,
    )
    record = await pds.repo_reader.get_record(
        created["did"], POST, written["uri"].rsplit("/", 1)[1]
    )
    assert record is not None and record.value == post("still written")
    stored = await stored_events(created["did"])
    assert before.events == after.events == stored
    assert len(stored) == 4


async def test_a_rolled_back_change_calls_no_hook(client_factory: Any) -> None:
    recorder = Recorder()
    pds = get_pds((await client_factory(extra_plugins=[("recorder", recorder)])).app)
    did = "did:plc:" + "r" * 24
    with pytest.raises(RuntimeError, match="the change failed"):
        async with pds.event_log.unit() as unit, unit.transaction():
            unit.add(IdentityEvent(did=did))
            await unit.flush()
            raise RuntimeError("the change failed")
    assert recorder.events == []
    assert await RepoEvent.filter(did=did).count() == 0


class Named:
    """Records its name in a shared list, as ordered by pluggy."""

    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    @hookimpl
    def pds_on_event(self) -> None:
        self.calls.append(self.name)


class First(Named):
    @hookimpl(tryfirst=True)
    def pds_on_event(self) -> None:
        self.calls.append(self.name)


class Wrapping(Named):
    @hookimpl(wrapper=True)
    def pds_on_event(self) -> Generator[None, list[Any], list[Any]]:
        self.calls.append(f"{self.name}:before")
        results = yield
        self.calls.append(f"{self.name}:after")
        return results


async def test_implementations_run_in_pluggy_order_each_inside_the_wrappers(
    client_factory: Any,
) -> None:
    calls: list[str] = []
    pds = get_pds(
        (
            await client_factory(
                extra_plugins=[
                    ("first-registered", Named("a", calls)),
                    ("tryfirst", First("first", calls)),
                    ("wrapper", Wrapping("w", calls)),
                    ("last-registered", Named("b", calls)),
                ]
            )
        ).app
    )
    async with pds.event_log.unit() as unit, unit.transaction():
        unit.add(IdentityEvent(did="did:plc:" + "o" * 24))
    assert calls == [
        "w:before",
        "first",
        "w:after",
        "w:before",
        "b",
        "w:after",
        "w:before",
        "a",
        "w:after",
    ]
