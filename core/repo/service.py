"""``RepoService`` (``pds.repos``): the read side of repositories, as plugins use it.

Who may read a repo, its records and collections, the hosted repos, exports, record
proofs and blocks (each one snapshot of one commit), what it holds (for migrations), its
signing key, and record takedowns. Writes go through the write path,
``pds.repo_writer.apply_writes`` (:class:`~exprsn_pds.repo.writer.RepoWriter`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exprsn_pds.accounts.visibility import check_visible, hosted_repo, visible_repo
from exprsn_pds.crypto import PrivateKey, PublicKey, parse_multikey
from exprsn_pds.datamodel import Cid
from exprsn_pds.errors import InvalidRequest, RepoNotFound
from exprsn_pds.repo.models import Record, RepoBlock
from exprsn_pds.repo.mst import MissingBlock
from exprsn_pds.repo.reader import RepoReader, StoredRecord
from exprsn_pds.repo.store import RepoRow, repo_rows

if TYPE_CHECKING:
    from exprsn_pds.auth import Credentials
    from exprsn_pds.pds import Pds


@dataclass(frozen=True)
class RepoStats:
    """What a repo holds: its commit and how many blocks and indexed records."""

    head: str
    rev: str
    blocks: int
    records: int


@dataclass(frozen=True)
class RecordTakedown:
    """A record's CID and takedown reference (``None``: not taken down)."""

    cid: str
    ref: str | None


class RepoService:
    """Reads of the repos hosted here, for handlers and plugins."""

    def __init__(self, pds: Pds) -> None:
        self._pds = pds

    @property
    def reader(self) -> RepoReader:
        """The record and export reader."""
        return self._pds.repo_reader

    async def state(self, did: str) -> RepoRow | None:
        """The repo's row (current commit, rev, root, key, status), or ``None`` if not hosted."""
        return await self.reader.get_repo(did)

    async def readable(self, identifier: str, caller: Credentials | None) -> str:
        """The DID of the repo ``identifier`` (DID or handle) names, if ``caller`` may read it.

        400 RepoNotFound, or RepoTakendown / RepoDeactivated for a hidden repo unless the
        caller is its owner or the admin.
        """
        return (await self.visible(identifier, caller)).did

    async def visible(self, identifier: str, caller: Credentials | None) -> RepoRow:
        """The row of the repo ``identifier`` names, if ``caller`` may read it.

        Errors as :meth:`readable`.
        """
        return await visible_repo(self._pds, identifier, caller)

    async def hosted(self, identifier: str) -> RepoRow:
        """The row of the repo a DID or local handle names, whatever its standing.

        400 RepoNotFound if it is not hosted here.
        """
        return await hosted_repo(self._pds, identifier)

    async def page(self, *, after: str | None, limit: int) -> list[RepoRow]:
        """Up to ``limit`` hosted repos' rows by DID, those above ``after`` (a cursor).

        A cursor the ``did`` column cannot hold is a ``ValidationError`` (400).
        """
        return await repo_rows(self._pds.database.client, after=after, limit=limit)

    def export(self, did: str, since: str | None = None) -> AsyncGenerator[bytes, None]:
        """The repo as CAR pieces, whole or the blocks added since rev ``since``.

        One snapshot of the current commit, however slowly the pieces are read.
        """
        return self.reader.export(did, since=since)

    async def record_proof(self, did: str, collection: str, rkey: str) -> bytes:
        """A CAR of the current commit proving the record (or its absence)."""
        return await self.reader.record_proof(did, collection, rkey)

    async def blocks(self, did: str, cids: Collection[Cid]) -> dict[Cid, bytes]:
        """The repo's blocks ``cids`` as of one commit; 400 BlockNotFound names a missing one."""
        try:
            return await self.reader.blocks(did, cids)
        except MissingBlock as error:
            raise InvalidRequest(
                f"Could not find block: {error.cid}", error="BlockNotFound"
            ) from error

    async def visible_record(
        self,
        identifier: str,
        collection: str,
        rkey: str,
        cid: Cid | None,
        caller: Credentials | None,
    ) -> tuple[str, StoredRecord | None]:
        """The repo's DID and its record (``None`` if absent), if ``caller`` may read the repo.

        With ``cid``, the record only if it is that version. Errors as :meth:`readable`.
        """
        did = await self._pds.identity.resolve_to_did(identifier)
        if did is None:
            raise RepoNotFound(identifier)
        status, record = await self.reader.find_record(did, collection, rkey, cid)
        if status is None:
            raise RepoNotFound(identifier)
        check_visible(status, did, identifier, caller)
        return did, record

    async def get_record(
        self, did: str, collection: str, rkey: str, cid: Cid | None = None
    ) -> StoredRecord | None:
        """The current record (or ``None``); with ``cid``, only if it is that version."""
        return await self.reader.get_record(did, collection, rkey, cid)

    async def list_records(
        self, did: str, collection: str, *, limit: int, cursor: str | None = None, reverse: bool
    ) -> list[StoredRecord]:
        """A page of a collection, newest record key first unless ``reverse``."""
        return await self.reader.list_records(
            did, collection, limit=limit, cursor=cursor, reverse=reverse
        )

    async def collections(self, did: str) -> list[str]:
        """The collections the repo has records in."""
        return await self.reader.collections(did)

    async def stats(self, did: str) -> RepoStats | None:
        """What the repo holds (``checkAccountStatus``), or ``None`` if not hosted."""
        repo = await self.reader.get_repo(did)
        if repo is None:
            return None
        return RepoStats(
            head=repo.head,
            rev=repo.rev,
            blocks=await RepoBlock.filter(did=did).count(),
            records=await Record.filter(did=did).count(),
        )

    async def _repo(self, did: str) -> RepoRow:
        repo = await self.reader.get_repo(did)
        if repo is None:
            raise RepoNotFound(did)
        return repo

    async def signing_public_key(self, did: str) -> PublicKey:
        """The public key ``did``'s commits are signed with; 400 RepoNotFound."""
        return parse_multikey((await self._repo(did)).signing_public_key)

    async def signing_key(self, did: str) -> PrivateKey:
        """The private repo signing key of ``did``, opened from its envelope; 400 RepoNotFound."""
        repo = await self._repo(did)
        return self._pds.repo_writer.keys.open(did, repo.signing_key, repo.signing_key_curve)

    async def record_takedown(self, did: str, collection: str, rkey: str) -> RecordTakedown | None:
        """The record's CID and takedown reference, or ``None`` if there is no such record."""
        record = await Record.get_or_none(did=did, collection=collection, rkey=rkey)
        return None if record is None else RecordTakedown(record.cid, record.takedown_ref)

    async def set_record_takedown(
        self, did: str, collection: str, rkey: str, ref: str | None
    ) -> bool:
        """Hide the record from reads under ``ref`` (``None``: show it again); whether it exists."""
        updated = await Record.filter(did=did, collection=collection, rkey=rkey).update(
            takedown_ref=ref
        )
        return bool(updated)
