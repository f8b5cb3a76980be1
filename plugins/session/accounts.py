"""``createAccount`` and the account's own lifecycle: status, deactivate, activate."""

from __future__ import annotations

from typing import Any

from exprsn_pds import XrpcContext
from exprsn_pds.accounts import lifecycle
from exprsn_pds.accounts.creation import NewAccount, create_account
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.status import AccountStatus
from exprsn_pds.auth import caller_did, service_auth
from exprsn_pds.errors import AccountNotFound, AccountTakedown, AuthRequired, InvalidRequest
from exprsn_pds.plugins.session.views import session_view
from exprsn_pds.repo.models import Blob, Record, RecordBlob, Repo, RepoBlock

MIGRATION_AUTH = service_auth()


async def _check_migration_auth(ctx: XrpcContext, did: str) -> None:
    """An account that brings its DID proves it with a service JWT that DID signed."""
    if ctx.request is None:
        raise AuthRequired("Service auth from the DID is required to bring it here")
    credentials = await MIGRATION_AUTH(ctx.request, ctx.pds)
    if credentials.did != did:
        raise AuthRequired("Service auth was issued by another DID", error="InvalidToken")


async def create_account_handler(ctx: XrpcContext) -> dict[str, Any]:
    """Create an account with its repository and first commit, and open a session.

    With ``did`` (a move from another server), the caller proves it controls the DID
    with a service JWT the DID signed for this method; the account starts deactivated
    and silent until it is activated, after its repo, blobs and DID document moved.
    """
    body = ctx.input
    did = body.get("did")
    if did:
        await _check_migration_auth(ctx, did)
    account = await create_account(
        ctx.pds,
        NewAccount(
            handle=body["handle"],
            email=body.get("email"),
            password=body.get("password"),
            invite_code=body.get("inviteCode"),
            recovery_key=body.get("recoveryKey"),
            did=did,
        ),
        deactivated=bool(did),
    )
    tokens = await ctx.pds.sessions.create(account.did)
    view = await session_view(ctx.pds, account, tokens)
    return {key: view[key] for key in ("accessJwt", "refreshJwt", "handle", "did", "didDoc")}


async def check_account_status(ctx: XrpcContext) -> dict[str, Any]:
    """What the caller's repo holds here: commit, blocks, records, blobs (for migrations)."""
    did = caller_did(ctx.auth)
    account = await Account.get_or_none(did=did)
    repo = await Repo.get_or_none(did=did)
    if account is None or repo is None:
        raise AccountNotFound()
    expected_blobs = await RecordBlob.filter(did=did).distinct().values_list("blob_cid", flat=True)
    imported_blobs = (
        await Blob.filter(did=did, cid__in=list(expected_blobs), temp_key__isnull=True).count()
        if expected_blobs
        else 0
    )
    return {
        "activated": account.deactivated_at is None,
        "validDid": await ctx.pds.identity.did_points_here(did),
        "repoCommit": repo.head,
        "repoRev": repo.rev,
        "repoBlocks": await RepoBlock.filter(did=did).count(),
        "indexedRecords": await Record.filter(did=did).count(),
        "privateStateValues": 0,
        "expectedBlobs": len(expected_blobs),
        "importedBlobs": imported_blobs,
    }


async def deactivate_account(ctx: XrpcContext) -> None:
    """Deactivate the caller's account: no writes, hidden from reads and sync.

    Its sessions end, access tokens included; a deactivated account may log in again,
    e.g. to reactivate.
    """
    did = caller_did(ctx.auth)
    await lifecycle.deactivate(ctx.pds, did)
    await ctx.pds.sessions.revoke_all(did)


async def activate_account(ctx: XrpcContext) -> None:
    """Reactivate the caller's account (a takedown still applies).

    The DID document must already name this server and its key: relays told of the
    activation resolve it.
    """
    did = caller_did(ctx.auth)
    if not await ctx.pds.identity.did_points_here(did):
        raise InvalidRequest("The DID document does not name this server and its signing key yet")
    status = await lifecycle.activate(ctx.pds, did)
    if status is AccountStatus.TAKENDOWN:
        raise AccountTakedown()
