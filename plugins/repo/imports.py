"""``com.atproto.repo.importRepo``: replace the caller's repo with a CAR (account migration)."""

from __future__ import annotations

from typing import Any

from exprsn_pds import InvalidRequest, Pds, RecordOrigin, XrpcContext, caller_did, hookimpl
from exprsn_pds.datamodel import ipld_to_json
from exprsn_pds.lexicon import LexiconValidationError
from exprsn_pds.plugins.repo.records import choose_rkey
from exprsn_pds.repo.import_check import RECORD_TYPE_FIELD
from exprsn_pds.repo.importer import RepoImporter


async def import_repo(ctx: XrpcContext) -> None:
    """``com.atproto.repo.importRepo``: the body (a CAR, within ``repo.import_max_bytes``)
    becomes the caller's whole repo, re-signed with this server's key; 400 and nothing
    written if it is not a valid repo of the caller, signed with the account's key here or
    the one its published DID document names (the old server's, during a migration), or
    if ``pds_check_record`` refuses one of its records."""
    did = caller_did(ctx.auth)
    car = await ctx.body_bytes()
    published = await ctx.pds.identity.published_signing_key(did)
    await RepoImporter(ctx.pds.repo_writer).replace(
        did,
        car,
        max_nesting_levels=ctx.pds.settings.xrpc_max_nesting_levels,
        also_trusted=[published] if published else [],
    )


@hookimpl
def pds_check_record(
    pds: Pds, collection: str, rkey: str, record: dict[str, Any], origin: RecordOrigin
) -> None:
    """With ``repo.import_validate_records``, refuse an imported record as a write would:
    its ``$type`` must be its collection, and a known lexicon's record-key type and
    schema must hold. (Writes validate their records as they are prepared.)"""
    lexicons = pds.lexicons
    if origin != "import" or not pds.settings.repo_import_validate_records:
        return
    if lexicons.main_type(collection) != "record":
        return
    path = f"{collection}/{rkey}"
    record_type = record[RECORD_TYPE_FIELD]
    if record_type != collection:
        raise InvalidRequest(f"Invalid record {path}: $type {record_type} is not its collection")
    choose_rkey(lexicons, collection, rkey, pds.tid_clock)
    try:
        lexicons.validate_record(collection, ipld_to_json(record))
    except LexiconValidationError as error:
        raise InvalidRequest(f"Invalid record {path}: {error}") from error
