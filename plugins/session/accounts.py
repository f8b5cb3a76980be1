"""``createAccount`` and the account's own lifecycle: status, deactivate, activate."""

from __future__ import annotations

from typing import Any

from exprsn_pds import XrpcContext
from exprsn_pds.accounts import lifecycle
from exprsn_pds.accounts.creation import NewAccount, create_account
from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.status import AccountStatus
from exprsn_pds.errors import AuthRequired, InvalidRequest
from exprsn_pds.plugins.session.views import session_view
from exprsn_pds.repo.models import Blob, Record, RecordBlob, Repo, RepoBlock


def _did(ctx: XrpcContext) -> str:
    if ctx.auth is None or ctx.auth.did is None:
        raise AuthRequired("Authentication Required")
    return ctx.auth.did


async def create_account_handler(ctx: XrpcContext) -> dict[str, Any]:
    """Create an account with its repository and first commit, and open a session."""
    body = ctx.input
    if body.get("did"):
        raise InvalidRequest(
            "Bringing an existing DID needs service auth from it", error="InvalidRequest"
        )
    account = await create_account(
        ctx.pds,
        NewAccount(
            handle=body["handle"],
            email=body.get("email"),
            password=body.get("password"),
            invite_code=body.get("inviteCode"),
            recovery_key=body.get("recoveryKey"),
        ),
    )
    tokens = await ctx.pds.sessions.create(account.did)
    view = await session_view(ctx.pds, account, tokens)
    return {key: view[key] for key in ("accessJwt", "refreshJwt", "handle", "did", "didDoc")}


async def check_account_status(ctx: XrpcContext) -> dict[str, Any]:
    """What the caller's repo holds here: commit, blocks, records, blobs (for migrations)."""
    did = _did(ctx)
    account = await Account.get_or_none(did=did)
    repo = await Repo.get_or_none(did=did)
    if account is None or repo is None:
        raise InvalidRequest("Account not found", error="AccountNotFound")
    expected_blobs = await RecordBlob.filter(did=did).distinct().values_list("blob_cid", flat=True)
    imported_blobs = (
        await Blob.filter(did=did, cid__in=list(expected_blobs), temp_key__isnull=True).count()
        if expected_blobs
        else 0
    )
    return {
        "activated": account.deactivated_at is None,
        "validDid": (await ctx.pds.identity.describe(did)).did_document is not None,
        "repoCommit": repo.head,
        "repoRev": repo.rev,
        "repoBlocks": await RepoBlock.filter(did=did).count(),
        "indexedRecords": await Record.filter(did=did).count(),
        "privateStateValues": 0,
        "expectedBlobs": len(expected_blobs),
        "importedBlobs": imported_blobs,
    }


async def deactivate_account(ctx: XrpcContext) -> None:
    """Deactivate the caller's account: no writes, hidden from reads and sync."""
    await lifecycle.deactivate(ctx.pds, _did(ctx))


async def activate_account(ctx: XrpcContext) -> None:
    """Reactivate the caller's account (a takedown still applies)."""
    status = await lifecycle.activate(ctx.pds, _did(ctx))
    if status is AccountStatus.TAKENDOWN:
        raise AuthRequired("Account has been taken down", error="AccountTakedown")
