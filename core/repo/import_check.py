"""Checking a repository CAR before it replaces a hosted repo (``importRepo``).

:func:`verify_repo_car` accepts a CAR only if it is a whole, well-formed repository of
the expected account: exactly one root, a signed version 3 commit for the DID whose
signature verifies with the account's signing key, every block matching its CID, an MST
whose nodes, layers and key order follow the repo spec and whose keys are record paths,
and every record present and a DAG-CBOR map with a ``$type``, nested no deeper than the
configured bound. Blocks the tree does not
reach are ignored. Any problem raises :class:`InvalidRequest` (400) saying what is wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from exprsn_pds.crypto import PublicKey
from exprsn_pds.datamodel import DAG_CBOR_CODEC, Cid, DataModelError, decode, read_car
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.repo.commit import Commit, InvalidCommit, parse_commit
from exprsn_pds.repo.mst import MemoryBlockReader, MissingBlock, Mst, MstError
from exprsn_pds.repo.mst.keys import PATH_SEPARATOR, key_problem
from exprsn_pds.syntax import Nsid, Tid
from exprsn_pds.syntax.base import quote

RECORD_TYPE_FIELD = "$type"


@dataclass(frozen=True)
class ImportedRecord:
    """One record of a verified repository: its place, CID and data-model value."""

    collection: str
    rkey: str
    cid: Cid
    value: dict[str, Any]

    @property
    def path(self) -> str:
        """The MST key: ``collection/rkey``."""
        return f"{self.collection}{PATH_SEPARATOR}{self.rkey}"


@dataclass(frozen=True)
class VerifiedRepo:
    """A repository that passed :func:`verify_repo_car`.

    ``records`` are in key order; ``blocks`` holds exactly the MST nodes and record
    blocks the tree reaches (not the commit, nor stray blocks of the CAR).
    """

    commit: Commit
    records: list[ImportedRecord]
    blocks: dict[Cid, bytes]


async def verify_repo_car(
    car: bytes, *, did: str, keys: Sequence[PublicKey], max_nesting_levels: int
) -> VerifiedRepo:
    """The repository in ``car``, checked to be ``did``'s whole repo signed by one of ``keys``,
    with no record nested more than ``max_nesting_levels`` levels deep.

    A migrating account's commit is signed by its old server's key (the one its DID
    document names until the move completes), so callers pass that key as well as the
    key this server holds for the account.
    """
    try:
        # Hashing every block of a CAR of up to 100 MB is the bulk of the work: in a
        # worker thread, so the event loop keeps serving other requests meanwhile.
        roots, blocks = await asyncio.to_thread(read_car, car)
    except DataModelError as error:
        raise InvalidRequest(f"Invalid CAR file: {error}") from error
    if len(roots) != 1:
        raise InvalidRequest(f"Invalid CAR file: expected one root, found {len(roots)}")
    commit = _verified_commit(roots[0], blocks, did=did, keys=keys)
    reader = MemoryBlockReader(blocks)
    try:
        mst = await Mst.load(reader, commit.data)
        nodes = {cid: block async for cid, block in mst.all_blocks()}
        entries = [(path, value) async for path, value in mst.walk()]
    except MissingBlock as error:
        raise InvalidRequest(f"Invalid repo: MST block {error.cid} is missing") from error
    except MstError as error:
        raise InvalidRequest(f"Invalid repo: {error}") from error
    except UnicodeDecodeError as error:
        raise InvalidRequest("Invalid repo: an MST key is not UTF-8") from error
    records = _records(entries, blocks, max_nesting_levels)
    nodes.update((record.cid, blocks[record.cid]) for record in records)
    return VerifiedRepo(commit=commit, records=records, blocks=nodes)


def _verified_commit(
    root: Cid, blocks: dict[Cid, bytes], *, did: str, keys: Sequence[PublicKey]
) -> Commit:
    block = blocks.get(root)
    if block is None:
        raise InvalidRequest(f"Invalid CAR file: the root block {root} is missing")
    try:
        commit = parse_commit(block)
    except InvalidCommit as error:
        raise InvalidRequest(f"Invalid repo commit: {error}") from error
    if commit.did != did:
        raise InvalidRequest(f"The repo commit is for {quote(commit.did)}, not {did}")
    if not Tid.is_valid(commit.rev):
        raise InvalidRequest(f"Invalid repo commit: rev {quote(commit.rev)} is not a TID")
    if not any(commit.verify(key) for key in keys):
        raise InvalidRequest(
            "Invalid repo commit: the signature does not verify with the account's signing key"
            " (neither the one held here nor the one its DID document names)"
        )
    return commit


def _records(
    entries: list[tuple[str, Cid]], blocks: dict[Cid, bytes], max_levels: int
) -> list[ImportedRecord]:
    """Every MST entry as a record, checking key syntax and order and the record blocks."""
    records: list[ImportedRecord] = []
    previous: str | None = None
    for path, cid in entries:
        problem = key_problem(path)
        if problem is not None:
            raise InvalidRequest(f"Invalid repo: MST key {quote(path)}: {problem}")
        if previous is not None and path <= previous:
            raise InvalidRequest(f"Invalid repo: MST key {quote(path)} is out of order")
        previous = path
        collection, _, rkey = path.partition(PATH_SEPARATOR)
        if not Nsid.is_valid(collection):
            raise InvalidRequest(f"Invalid repo: {quote(collection)} is not a collection NSID")
        value = _record(path, cid, blocks, max_levels)
        records.append(ImportedRecord(collection, rkey, cid, value))
    return records


def _record(path: str, cid: Cid, blocks: dict[Cid, bytes], max_levels: int) -> dict[str, Any]:
    block = blocks.get(cid)
    if block is None:
        raise InvalidRequest(f"Invalid repo: the block of record {path} ({cid}) is missing")
    if cid.codec != DAG_CBOR_CODEC:
        raise InvalidRequest(f"Invalid repo: record {path} is not DAG-CBOR")
    try:
        value = decode(block, max_levels=max_levels)
    except DataModelError as error:
        raise InvalidRequest(f"Invalid repo: record {path} does not decode: {error}") from error
    if not isinstance(value, dict) or not isinstance(value.get(RECORD_TYPE_FIELD), str):
        raise InvalidRequest(f"Invalid repo: record {path} is not an object with a $type")
    return value
