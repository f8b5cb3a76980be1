"""Typed event values: each kind encodes to its frame and decodes back from a stored one."""

from __future__ import annotations

from typing import Any

import pytest

import exprsn_pds
from exprsn_pds import events
from exprsn_pds.app import get_pds
from exprsn_pds.datamodel import Cid, encode, write_car
from exprsn_pds.events import (
    AccountEvent,
    AnyEvent,
    CommitEvent,
    IdentityEvent,
    InvalidEventFrame,
    RepoOp,
    SyncEvent,
    decode_event,
)
from exprsn_pds.events.frames import info_frame
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.repo.writes import Action, RecordWrite

DID = "did:plc:eventtypes00000000000000"
TIME = "2024-05-01T12:00:00.000Z"
POST = "app.bsky.feed.post"


def post(text: str) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": TIME}


def commit_event() -> CommitEvent:
    record = post("hello")
    record_block = encode(record)
    record_cid = Cid.for_dag_cbor(record_block)
    commit_block = encode({"did": DID, "rev": "3kaaaaaaaaaa2"})
    commit_cid = Cid.for_dag_cbor(commit_block)
    replaced = Cid.for_dag_cbor(encode(post("before")))
    return CommitEvent(
        did=DID,
        rev="3kaaaaaaaaaa2",
        commit=commit_cid,
        since="3kaaaaaaaaaa1",
        prev_data=Cid.for_dag_cbor(encode({"data": "before"})),
        ops=(
            RepoOp("create", POST, "3kaaaaaaaaaa3", record_cid, record=record),
            RepoOp("update", POST, "3kaaaaaaaaaa4", record_cid, prev=replaced, record=record),
            RepoOp("delete", POST, "3kaaaaaaaaaa5", None, prev=replaced),
        ),
        blocks=write_car([commit_cid], [(commit_cid, commit_block), (record_cid, record_block)]),
    )


def sync_event() -> SyncEvent:
    block = encode({"did": DID, "rev": "3kaaaaaaaaaa2"})
    return SyncEvent.of_commit(DID, "3kaaaaaaaaaa2", Cid.for_dag_cbor(block), block)


EVENTS: list[AnyEvent] = [
    commit_event(),
    sync_event(),
    IdentityEvent(did=DID, handle="alice.test"),
    IdentityEvent(did=DID),
    AccountEvent(did=DID, active=True),
    AccountEvent(did=DID, active=False, status="takendown"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
def test_a_sequenced_event_decodes_from_its_frame(event: AnyEvent) -> None:
    sequenced = event.stamped(7, TIME)
    assert (sequenced.seq, sequenced.time) == (7, TIME)
    assert decode_event(sequenced.frame()) == sequenced


def test_the_frame_is_the_subscribe_repos_message() -> None:
    frame = AccountEvent(did=DID, active=False, status="deactivated").stamped(3, TIME).frame()
    header = encode({"op": 1, "t": "#account"})
    assert frame.startswith(header)
    assert frame[len(header) :] == encode(
        {"did": DID, "active": False, "status": "deactivated", "seq": 3, "time": TIME}
    )


def test_a_commit_op_without_its_block_has_no_record_value() -> None:
    event = commit_event()
    commit_only = write_car([event.commit], [])
    decoded = decode_event(
        CommitEvent(**{**vars(event), "blocks": commit_only}).stamped(1, TIME).frame()
    )
    assert isinstance(decoded, CommitEvent)
    assert [op.record for op in decoded.ops] == [None, None, None]
    assert [op.cid for op in decoded.ops] == [op.cid for op in event.ops]


@pytest.mark.parametrize(
    "frame",
    [
        info_frame("OutdatedCursor", "too old"),
        b"",
        encode({"op": 1, "t": "#identity"}) + encode({"did": DID}),
        encode({"op": 1, "t": "#account"}) + encode({"did": DID, "active": "yes", "seq": 1}),
        encode({"op": 1, "t": "#commit"}) + b"\xff",
    ],
    ids=["info", "empty", "no-seq", "bad-active", "bad-body"],
)
def test_a_frame_that_is_not_a_stored_event_is_refused(frame: bytes) -> None:
    with pytest.raises(InvalidEventFrame):
        decode_event(frame)


def test_the_types_are_exported_from_the_public_package() -> None:
    for name in (
        "AccountEvent",
        "AnyEvent",
        "CommitEvent",
        "Event",
        "IdentityEvent",
        "RepoOp",
        "SyncEvent",
        "decode_event",
    ):
        assert getattr(exprsn_pds, name) is getattr(events, name)
        assert name in exprsn_pds.__all__


async def test_stored_frames_of_a_write_decode_to_its_typed_events(
    client_factory: Any, account_factory: Any
) -> None:
    pds = get_pds((await client_factory()).app)
    account = await account_factory(pds, "alice.test")
    first = await pds.repo_writer.apply_writes(
        account.did,
        [RecordWrite(Action.CREATE, POST, "3kaaaaaaaaaa2", post("one"))],
    )
    second = await pds.repo_writer.apply_writes(
        account.did,
        [
            RecordWrite(Action.UPDATE, POST, "3kaaaaaaaaaa2", post("two")),
            RecordWrite(Action.CREATE, POST, "3kaaaaaaaaaa3", post("three")),
        ],
    )
    await pds.repo_writer.apply_writes(
        account.did, [RecordWrite(Action.DELETE, POST, "3kaaaaaaaaaa3")]
    )
    rows = await RepoEvent.filter(did=account.did).order_by("seq")
    decoded = [decode_event(bytes(row.frame)) for row in rows]
    assert [event.seq for event in decoded] == [row.seq for row in rows]
    creation, *commits = decoded
    assert isinstance(creation, CommitEvent) and creation.ops == ()
    assert all(isinstance(event, CommitEvent) for event in commits)
    one, two, three = (event for event in commits if isinstance(event, CommitEvent))
    assert (one.commit, one.rev, one.since) == (first.commit, first.rev, creation.rev)
    assert one.ops == (
        RepoOp("create", POST, "3kaaaaaaaaaa2", first.results[0].cid, record=post("one")),
    )
    assert (two.commit, two.since) == (second.commit, first.rev)
    assert two.ops == (
        RepoOp(
            "update",
            POST,
            "3kaaaaaaaaaa2",
            second.results[0].cid,
            prev=first.results[0].cid,
            record=post("two"),
        ),
        RepoOp("create", POST, "3kaaaaaaaaaa3", second.results[1].cid, record=post("three")),
    )
    assert three.ops == (RepoOp("delete", POST, "3kaaaaaaaaaa3", None, prev=second.results[1].cid),)
    assert all(event.did == account.did and event.time for event in decoded)
