"""``updateSubjectStatus`` / ``getSubjectStatus``: takedowns of accounts, records and blobs.

An account takedown goes through the account lifecycle (its ``#account`` event, the repo
hidden from reads and sync) and revokes the account's sessions; a record takedown hides
the record from ``getRecord``/``listRecords``; a blob takedown hides it from ``getBlob``
and refuses it to new records. Every takedown is lifted by ``applied: false``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exprsn_pds import (
    TAKEDOWN_REF_MAX_LENGTH,
    InvalidRequest,
    SubjectNotFound,
    XrpcContext,
)
from exprsn_pds.plugins.admin.views import iso
from exprsn_pds.syntax import AtUri

if TYPE_CHECKING:
    from exprsn_pds import Pds

REPO_REF = "com.atproto.admin.defs#repoRef"
STRONG_REF = "com.atproto.repo.strongRef"
BLOB_REF = "com.atproto.admin.defs#repoBlobRef"

StatusAttr = dict[str, Any]


def _takedown_ref(attr: StatusAttr) -> str | None:
    """The reference to store: ``None`` to lift, else the given one or the current time."""
    if not attr["applied"]:
        return None
    ref = str(attr.get("ref") or iso(dt.datetime.now(dt.UTC)))
    if len(ref) > TAKEDOWN_REF_MAX_LENGTH:
        raise InvalidRequest(f"Takedown ref too long: at most {TAKEDOWN_REF_MAX_LENGTH} characters")
    return ref


def _status(ref: str | None) -> StatusAttr:
    return {"applied": True, "ref": ref} if ref else {"applied": False}


@dataclass(frozen=True)
class RecordAddress:
    """Where a record lives: its repo's DID, collection and record key."""

    did: str
    collection: str
    rkey: str

    @property
    def uri(self) -> str:
        """The record's AT-URI, with the DID as authority."""
        return str(AtUri.from_parts(self.did, self.collection, self.rkey))


async def _record_address(pds: Pds, uri: str) -> RecordAddress:
    parsed = AtUri.parse(uri)
    if parsed.collection is None or parsed.rkey is None:
        raise InvalidRequest(f"Not a record URI: {uri}")
    authority = str(parsed.authority)
    did = await pds.identity.resolve_to_did(authority)
    if did is None:
        raise SubjectNotFound(uri)
    return RecordAddress(did, str(parsed.collection), str(parsed.rkey))


async def _update_account(
    pds: Pds, did: str, takedown: StatusAttr | None, deactivated: StatusAttr | None
) -> None:
    await pds.accounts.require(did)
    if takedown is not None:
        ref = _takedown_ref(takedown)
        await pds.accounts.set_takedown(did, ref)
        if ref is not None:
            await pds.sessions.revoke_all(did, access_tokens=False)
    if deactivated is not None:
        if deactivated["applied"]:
            await pds.accounts.deactivate(did)
        else:
            await pds.accounts.activate(did)
    if takedown is None and deactivated is None:
        await pds.accounts.announce_status(did)


async def _update_record(pds: Pds, uri: str, takedown: StatusAttr) -> None:
    address = await _record_address(pds, uri)
    ref = _takedown_ref(takedown)
    if not await pds.repos.set_record_takedown(address.did, address.collection, address.rkey, ref):
        raise SubjectNotFound(uri)


async def _update_blob(pds: Pds, did: str, cid: str, takedown: StatusAttr) -> None:
    if not await pds.blobs.set_takedown(did, cid, _takedown_ref(takedown)):
        raise SubjectNotFound(f"blob {cid} of {did}")


async def update_subject_status(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.updateSubjectStatus``: apply or lift a takedown (or deactivation)."""
    body = ctx.input
    subject = body["subject"]
    takedown: StatusAttr | None = body.get("takedown")
    deactivated: StatusAttr | None = body.get("deactivated")
    if takedown and takedown["applied"] and deactivated and not deactivated["applied"]:
        raise InvalidRequest("Cannot activate and takedown an account at the same time")
    kind = subject.get("$type")
    if kind == REPO_REF:
        await _update_account(ctx.pds, subject["did"], takedown, deactivated)
    elif kind == STRONG_REF:
        if takedown is not None:
            await _update_record(ctx.pds, subject["uri"], takedown)
    elif kind == BLOB_REF:
        if takedown is not None:
            await _update_blob(ctx.pds, subject["did"], subject["cid"], takedown)
    else:
        raise InvalidRequest(f"Invalid subject ({kind})")
    answer: dict[str, Any] = {"subject": subject}
    if takedown is not None:
        answer["takedown"] = takedown
    return answer


async def get_subject_status(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.admin.getSubjectStatus``: a blob (``did`` + ``blob``), record or account."""
    params = ctx.params
    did, uri, blob_cid = params.get("did"), params.get("uri"), params.get("blob")
    if blob_cid is not None:
        if did is None:
            raise InvalidRequest("Must provide a did to request blob state")
        found, ref = await ctx.pds.blobs.takedown_ref(did, blob_cid)
        if found:
            return {
                "subject": {"$type": BLOB_REF, "did": did, "cid": blob_cid},
                "takedown": _status(ref),
            }
    elif uri is not None:
        address = await _record_address(ctx.pds, uri)
        record = await ctx.pds.repos.record_takedown(address.did, address.collection, address.rkey)
        if record is not None:
            return {
                "subject": {"$type": STRONG_REF, "uri": address.uri, "cid": record.cid},
                "takedown": _status(record.ref),
            }
    elif did is not None:
        account = await ctx.pds.accounts.get(did)
        if account is not None:
            return {
                "subject": {"$type": REPO_REF, "did": did},
                "takedown": _status(account.takedown_ref),
                "deactivated": {"applied": account.deactivated_at is not None},
            }
    else:
        raise InvalidRequest("No provided subject")
    raise SubjectNotFound(did or uri or "")
