"""``com.atproto.repo.importRepo``: replace the caller's repo with a CAR (account migration)."""

from __future__ import annotations

from exprsn_pds import InvalidRequest, XrpcContext
from exprsn_pds.auth import caller_did
from exprsn_pds.datamodel import ipld_to_json
from exprsn_pds.lexicon import LexiconRegistry, LexiconValidationError
from exprsn_pds.plugins.repo.records import choose_rkey
from exprsn_pds.repo.import_check import RECORD_TYPE_FIELD, ImportedRecord
from exprsn_pds.repo.importer import RecordCheck, RepoImporter
from exprsn_pds.syntax import TidClock


async def import_repo(ctx: XrpcContext) -> None:
    """``com.atproto.repo.importRepo``: the body (a CAR, within ``repo.import_max_bytes``)
    becomes the caller's whole repo, re-signed with this server's key; 400 and nothing
    written if it is not a valid repo of the caller, signed with the account's key here or
    the one its published DID document names (the old server's, during a migration)."""
    did = caller_did(ctx.auth)
    car = await ctx.body_bytes()
    check = (
        lexicon_check(ctx.pds.lexicons, ctx.pds.tid_clock)
        if ctx.pds.settings.repo_import_validate_records
        else None
    )
    published = await ctx.pds.identity.published_signing_key(did)
    await RepoImporter(ctx.pds.repo_writer).replace(
        did,
        car,
        max_nesting_levels=ctx.pds.settings.xrpc_max_nesting_levels,
        also_trusted=[published] if published else [],
        check_record=check,
    )


def lexicon_check(lexicons: LexiconRegistry, clock: TidClock) -> RecordCheck:
    """Refuses an imported record as a write would: its ``$type`` must be its collection,
    and a known lexicon's record-key type and schema must hold."""

    def check(record: ImportedRecord) -> None:
        if lexicons.main_type(record.collection) != "record":
            return
        record_type = record.value[RECORD_TYPE_FIELD]
        if record_type != record.collection:
            raise InvalidRequest(
                f"Invalid record {record.path}: $type {record_type} is not its collection"
            )
        choose_rkey(lexicons, record.collection, record.rkey, clock)
        try:
            lexicons.validate_record(record.collection, ipld_to_json(record.value))
        except LexiconValidationError as error:
            raise InvalidRequest(f"Invalid record {record.path}: {error}") from error

    return check
