"""Replacing a hosted repository with an imported one (account migration).

:meth:`RepoImporter.replace` verifies the CAR (:mod:`exprsn_pds.repo.import_check`),
then, under the repo's write lock and in one transaction, swaps the repo's blocks,
record index and blob references for the imported ones, signs a new commit of the
imported tree with the key this server holds (at a rev later than both the hosted and
the imported one, so revs only grow), moves the repo root and, if the repo is active,
sequences a ``#sync`` event carrying that commit: the repo's new state, replaced
wholesale (sync v1.1). An inactive repo (a migration imports into a deactivated account)
emits nothing: like the official PDS, its ``#sync`` comes when the account is activated.

Unlike the official PDS, which keeps the imported commit block and stores a new local
rev beside it, the stored commit is re-signed here, so the commit's rev is the repo's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.crypto import PublicKey, parse_multikey
from exprsn_pds.datamodel import Cid
from exprsn_pds.errors import RepoNotFound
from exprsn_pds.events import SyncEvent
from exprsn_pds.repo.commit import signed_commit_block
from exprsn_pds.repo.import_check import ImportedRecord, VerifiedRepo, verify_repo_car
from exprsn_pds.repo.label_store import drop_repo_labels, replace_labels
from exprsn_pds.repo.models import Record, RepoBlock
from exprsn_pds.repo.store import RepoRow, repo_row, set_repo_commit
from exprsn_pds.repo.writer import RepoWriter
from exprsn_pds.repo.writes import CommitResult

#: Rows per INSERT when storing an imported repo.
BULK_ROWS: Final = 500
ACTIVE: Final = "active"


class RepoImporter:
    """Replaces repos wholesale, through the same locks and services as ``writer``."""

    def __init__(self, writer: RepoWriter) -> None:
        self.writer = writer

    async def replace(
        self,
        did: str,
        car: bytes,
        *,
        max_nesting_levels: int,
        also_trusted: Sequence[PublicKey] = (),
    ) -> CommitResult:
        """Replace ``did``'s repo with the repository in ``car``; 400 if it is not valid.

        The commit must be signed with the key held here for ``did`` or one of
        ``also_trusted`` (the key the DID document names, during a migration).
        A record nested more than ``max_nesting_levels`` deep is refused; each record is
        put to the writer's record check (``pds_check_record``, origin ``"import"``),
        which may refuse it or label it. On any problem nothing is written; the repo's
        old labels go with its old records.
        """
        writer = self.writer
        async with writer.events.unit() as unit, writer.lock(did):
            repo = await repo_row(writer.database.client, did)
            if repo is None:
                raise RepoNotFound(did)
            held = parse_multikey(repo.signing_public_key)
            verified = await verify_repo_car(
                car,
                did=did,
                keys=[held, *also_trusted],
                max_nesting_levels=max_nesting_levels,
            )
            labels = await writer.check_records(
                did, ((r.collection, r.rkey, r.cid, r.value) for r in verified.records), "import"
            )
            async with unit.transaction() as connection:
                repo = await repo_row(connection, did, for_update=True)
                if repo is None:
                    raise RepoNotFound(did)
                commit_cid, commit_block, rev = self._sign(repo, verified)
                await _store(connection, did, rev, {**verified.blocks, commit_cid: commit_block})
                await _index(connection, did, rev, verified.records)
                await drop_repo_labels(connection, did)
                await replace_labels(connection, did, (), labels)
                await writer.blobs.relink_all(
                    connection, did, ((record.path, record.value) for record in verified.records)
                )
                await set_repo_commit(
                    connection,
                    replace(repo, head=str(commit_cid), rev=rev, data=str(verified.commit.data)),
                )
                if repo.status == ACTIVE:
                    unit.add(SyncEvent.of_commit(did, rev, commit_cid, commit_block))
            writer.cache_blocks({commit_cid: commit_block})
            await writer.blobs.settle(did)
        return CommitResult(did=did, commit=commit_cid, rev=rev)

    def _sign(self, repo: RepoRow, verified: VerifiedRepo) -> tuple[Cid, bytes, str]:
        """A new commit of the imported tree, signed with the key this server holds."""
        rev = self.writer.next_rev(max(repo.rev, verified.commit.rev))
        key = self.writer.keys.open(repo.did, repo.signing_key, repo.signing_key_curve)
        cid, block = signed_commit_block(did=repo.did, data=verified.commit.data, rev=rev, key=key)
        return cid, block, rev


async def _store(
    connection: BaseDBAsyncClient, did: str, rev: str, blocks: dict[Cid, bytes]
) -> None:
    """Make ``blocks`` the repo's only blocks (on the import's transaction ``connection``)."""
    await RepoBlock.filter(did=did).using_db(connection).delete()
    await RepoBlock.bulk_create(
        [RepoBlock(did=did, cid=str(cid), rev=rev, content=block) for cid, block in blocks.items()],
        batch_size=BULK_ROWS,
        using_db=connection,
    )


async def _index(
    connection: BaseDBAsyncClient, did: str, rev: str, records: list[ImportedRecord]
) -> None:
    """Make ``records`` the repo's only entries in the record index (on ``connection``)."""
    await Record.filter(did=did).using_db(connection).delete()
    await Record.bulk_create(
        [
            Record(did=did, collection=r.collection, rkey=r.rkey, cid=str(r.cid), rev=rev)
            for r in records
        ],
        batch_size=BULK_ROWS,
        using_db=connection,
    )
