"""The hydration reads of :mod:`exprsn_pds.plugins.appview.view_store` on sets of DIDs larger
than one statement binds (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from appview_replay import appview_settings

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview import view_store
from exprsn_pds.sql import MAX_PARAMETERS, execute

WHEN: Final = "2026-01-01T00:00:00.000Z"
#: More DIDs than one statement binds twice over, so any chunking splits them.
COUNT: Final = MAX_PARAMETERS * 2 + 7


def did(number: int) -> str:
    """The ``number``-th test DID; their sorted order is their numeric order."""
    return f"did:plc:{number:08d}"


@pytest.fixture
async def database(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> Any:
    """The client of an app's database, the ``appview`` plugin's tables migrated."""
    client = await client_factory(appview_settings(settings_factory))
    return get_pds(client.app).database.client


async def block(database: Any, number: int, blocker: str, blocked: str) -> str:
    """``blocker`` blocks ``blocked`` (the block's URI)."""
    uri = f"at://{blocker}/app.bsky.graph.block/{number}"
    await execute(
        database,
        "INSERT INTO appview_block (uri, did, subject_did, created_at, indexed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [uri, blocker, blocked, WHEN, WHEN],
    )
    return uri


async def list_block(database: Any, blocker: str, blocked: str, when: str = WHEN) -> str:
    """``blocker`` blocks, since ``when``, a moderation list of its own holding ``blocked``
    (the list's URI)."""
    list_uri = f"at://{blocker}/app.bsky.graph.list/mod"
    await execute(
        database,
        "INSERT INTO appview_list (uri, did, cid, purpose, name, created_at, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [list_uri, blocker, "bafylist", view_store.MODLIST, "mod", WHEN, WHEN],
    )
    await execute(
        database,
        "INSERT INTO appview_list_item (uri, did, list_uri, subject_did, created_at, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [f"at://{blocker}/app.bsky.graph.listitem/1", blocker, list_uri, blocked, WHEN, WHEN],
    )
    await execute(
        database,
        "INSERT INTO appview_list_block (uri, did, list_uri, created_at, indexed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [f"at://{blocker}/app.bsky.graph.listblock/1", blocker, list_uri, when, when],
    )
    return list_uri


async def test_blocks_among_finds_blocks_between_far_apart_dids(database: Any) -> None:
    dids = [did(i) for i in range(COUNT)]
    first_last = await block(database, 1, dids[0], dids[-1])
    last_first = await block(database, 2, dids[-1], dids[0])
    middle = await block(database, 3, dids[COUNT // 2], dids[1])
    await block(database, 4, dids[0], did(COUNT + 1))  # not among them
    found = {
        (edge.uri, edge.did, edge.subject_did)
        for edge in await view_store.blocks_among(database, dids)
    }
    assert found == {
        (first_last, dids[0], dids[-1]),
        (last_first, dids[-1], dids[0]),
        (middle, dids[COUNT // 2], dids[1]),
    }


async def test_list_blocks_among_finds_blocks_between_far_apart_dids_oldest_first(
    database: Any,
) -> None:
    dids = [did(i) for i in range(COUNT)]
    by_first = await list_block(database, dids[0], dids[-1])
    by_last = await list_block(database, dids[-1], dids[1], when="2025-06-01T00:00:00.000Z")
    found = [
        (edge.uri, edge.did, edge.subject_did)
        for edge in await view_store.list_blocks_among(database, dids)
    ]
    assert found == [(by_last, dids[-1], dids[1]), (by_first, dids[0], dids[-1])]
    assert await view_store.list_blocks_among(database, dids[1:-1]) == []
