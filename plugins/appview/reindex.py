"""``pds appview reindex``: rebuild the index from the repos, through the service API.

Each actor is rebuilt from what its repo holds now (:meth:`Indexer.rebuild_actor`),
stamped with the newest event ``seq`` read before its repo, so events the repo already
reflects change nothing when the consumer (or a running server) delivers them, and newer
ones still apply. A whole rebuild then recounts every aggregate from the rows. It may run
while the server runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from exprsn_pds import Pds
from exprsn_pds.plugins.appview import index_store as store
from exprsn_pds.plugins.appview import search_store
from exprsn_pds.plugins.appview.actor_cache import invalidating
from exprsn_pds.plugins.appview.indexer import Indexer

ACCOUNT_PAGE: Final = 500


@dataclass(frozen=True)
class ReindexReport:
    """What a rebuild did."""

    actors: int
    records: int


async def actors_to_rebuild(pds: Pds) -> list[str]:
    """Every hosted account, and every actor the index has (deleted ones are emptied)."""
    dids: set[str] = set()
    cursor: str | None = None
    while True:
        page = await pds.accounts.search(cursor=cursor, limit=ACCOUNT_PAGE)
        dids.update(info.did for info in page)
        if len(page) < ACCOUNT_PAGE:
            break
        cursor = page[-1].did
    async with pds.database.transaction() as client:
        dids.update(await store.indexed_actors(client))
    return sorted(dids)


async def rebuild(pds: Pds, dids: list[str], *, progress: Callable[[], None]) -> ReindexReport:
    """Rebuild ``dids`` one by one (``progress()`` after each)."""
    indexer = Indexer(pds)
    records = 0
    for did in dids:
        async with invalidating(pds):
            seq = await pds.consumers.head_seq()
            info = await pds.accounts.get(did)
            async with pds.database.transaction() as client:
                await store.refresh_actor(
                    client,
                    did,
                    handle=None if info is None else info.handle,
                    status="deleted" if info is None else str(info.status),
                    seq=seq,
                )
            if info is None:
                await indexer.forget_actor(did, seq)
            else:
                repo = await pds.repos.state(did)
                records += await indexer.rebuild_actor(did, seq, None if repo is None else repo.rev)
        progress()
    return ReindexReport(actors=len(dids), records=records)


async def recount(pds: Pds) -> None:
    """Recompute every aggregate count from the index's rows, and rebuild the full-text
    index of the posts."""
    async with invalidating(pds), pds.database.transaction() as client:
        await store.recount(client)
        await search_store.rebuild_index(client)
