"""The writer computes a commit from the repo as it last left it; others may move it.

Another process sharing the database (here: a second RepoWriter, with its own memory)
may commit to the repo in between. The first writer's next commit must then build on
what is stored, not on what it remembers, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import stored_leaves

from exprsn_pds.app import get_pds
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.pds import Pds
from exprsn_pds.repo.models import Repo
from exprsn_pds.repo.writer import RepoWriter
from exprsn_pds.repo.writes import Action, RecordWrite

POST = "app.bsky.feed.post"


def post(text: str) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": "2024-05-01T12:00:00.000Z"}


def create(rkey: str) -> list[RecordWrite]:
    return [RecordWrite(Action.CREATE, POST, rkey, post(rkey))]


def other_process(pds: Pds) -> RepoWriter:
    """A writer on the same database that shares no memory with the PDS's own."""
    writer = pds.repo_writer
    return RepoWriter(
        database=writer.database,
        keys=writer.keys,
        events=writer.events,
        cache=writer.cache,
        nodes=writer.nodes,
        blobs=writer.blobs,
        clock=writer.clock,
        limits=writer.limits,
    )


@pytest.fixture
async def pds(client_factory: Any) -> Pds:
    return get_pds((await client_factory()).app)


@pytest.fixture
async def did(pds: Pds) -> str:
    did = "did:plc:" + "b" * 24
    await pds.repo_writer.create_repo(did, PrivateKey.generate("k256"))
    return did


async def stored_paths(pds: Pds, did: str) -> set[str]:
    """The MST's keys at the head, after checking the index and the head agree."""
    _, leaves, _ = await stored_leaves(pds, did)
    return set(leaves)


async def test_a_commit_builds_on_what_another_writer_stored(pds: Pds, did: str) -> None:
    ours, theirs = pds.repo_writer, other_process(pds)
    await ours.apply_writes(did, create("3kaaaaaaaaaa2"))
    moved = await theirs.apply_writes(did, create("3kbbbbbbbbbb2"))
    result = await ours.apply_writes(did, create("3kcccccccccc2"))
    assert await stored_paths(pds, did) == {
        f"{POST}/3kaaaaaaaaaa2",
        f"{POST}/3kbbbbbbbbbb2",
        f"{POST}/3kcccccccccc2",
    }
    assert result.rev > moved.rev
    repo = await Repo.get(did=did)
    assert repo.head == str(result.commit)


async def test_a_write_refused_on_remembered_state_is_judged_on_the_stored_one(
    pds: Pds, did: str
) -> None:
    ours, theirs = pds.repo_writer, other_process(pds)
    await ours.apply_writes(did, create("3kaaaaaaaaaa2"))
    await theirs.apply_writes(did, [RecordWrite(Action.DELETE, POST, "3kaaaaaaaaaa2", None)])
    await ours.apply_writes(did, create("3kaaaaaaaaaa2"))  # gone now: creating it is fine
    moved = await theirs.apply_writes(did, create("3kbbbbbbbbbb2"))
    await ours.apply_writes(did, create("3kcccccccccc2"), swap_commit=moved.commit)
    assert await stored_paths(pds, did) == {
        f"{POST}/3kaaaaaaaaaa2",
        f"{POST}/3kbbbbbbbbbb2",
        f"{POST}/3kcccccccccc2",
    }


async def test_a_write_refused_on_the_stored_state_stays_refused(pds: Pds, did: str) -> None:
    ours, theirs = pds.repo_writer, other_process(pds)
    await ours.apply_writes(did, create("3kaaaaaaaaaa2"))
    await theirs.apply_writes(did, create("3kbbbbbbbbbb2"))
    with pytest.raises(InvalidRequest, match="already exists"):
        await ours.apply_writes(did, create("3kbbbbbbbbbb2"))
    assert await stored_paths(pds, did) == {f"{POST}/3kaaaaaaaaaa2", f"{POST}/3kbbbbbbbbbb2"}
