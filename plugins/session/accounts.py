"""``createAccount`` and the account's own lifecycle: status, deactivate, activate."""

from __future__ import annotations

from typing import Any

from exprsn_pds import (
    AccountNotFound,
    AccountStatus,
    AccountTakedown,
    AuthRequired,
    InvalidRequest,
    InvalidToken,
    NewAccount,
    XrpcContext,
    caller_did,
    service_auth,
)
from exprsn_pds.plugins.session.views import session_view

MIGRATION_AUTH = service_auth()


async def _check_migration_auth(ctx: XrpcContext, did: str) -> None:
    """An account that brings its DID proves it with a service JWT that DID signed."""
    if ctx.request is None:
        raise AuthRequired("Service auth from the DID is required to bring it here")
    credentials = await MIGRATION_AUTH(ctx.request, ctx.pds)
    if credentials.did != did:
        raise InvalidToken("Service auth was issued by another DID")


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
    account = await ctx.pds.accounts.create(
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
    account = await ctx.pds.accounts.get(did)
    repo = await ctx.pds.repos.stats(did)
    if account is None or repo is None:
        raise AccountNotFound()
    expected_blobs, imported_blobs = await ctx.pds.blobs.import_counts(did)
    return {
        "activated": account.deactivated_at is None,
        "validDid": await ctx.pds.identity.did_points_here(did),
        "repoCommit": repo.head,
        "repoRev": repo.rev,
        "repoBlocks": repo.blocks,
        "indexedRecords": repo.records,
        "privateStateValues": 0,
        "expectedBlobs": expected_blobs,
        "importedBlobs": imported_blobs,
    }


async def deactivate_account(ctx: XrpcContext) -> None:
    """Deactivate the caller's account: no writes, hidden from reads and sync.

    Its sessions end, access tokens included; a deactivated account may log in again,
    e.g. to reactivate.
    """
    did = caller_did(ctx.auth)
    await ctx.pds.accounts.deactivate(did)
    await ctx.pds.sessions.revoke_all(did)


async def activate_account(ctx: XrpcContext) -> None:
    """Reactivate the caller's account (a takedown still applies).

    The DID document must already name this server and its key: relays told of the
    activation resolve it.
    """
    did = caller_did(ctx.auth)
    if not await ctx.pds.identity.did_points_here(did):
        raise InvalidRequest("The DID document does not name this server and its signing key yet")
    status = await ctx.pds.accounts.activate(did)
    if status is AccountStatus.TAKENDOWN:
        raise AccountTakedown()
