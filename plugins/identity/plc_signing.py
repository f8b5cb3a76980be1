"""``requestPlcOperationSignature`` and ``signPlcOperation``: the old server's half of a move.

An account leaving this server asks for a code by e-mail, then has this server sign
(with its rotation key) a PLC operation that points the DID at the new server. The
code makes sure a stolen session alone cannot move the identity.
"""

from __future__ import annotations

from typing import Any

from exprsn_pds import (
    CodeMails,
    EmailTokenPurpose,
    InvalidRequest,
    XrpcContext,
    caller_did,
    send_code,
)
from exprsn_pds.identity.did_resolver import DID_PLC_PREFIX
from exprsn_pds.identity.plc_ops import (
    OPERATION_TYPE,
    InvalidOperation,
    check_operation,
    normalize_operation,
    operation_cid,
    sign_operation,
)

REPLACEABLE_FIELDS = ("rotationKeys", "alsoKnownAs", "verificationMethods", "services")


async def request_plc_operation_signature(ctx: XrpcContext) -> None:
    """E-mail the caller a code that lets this server sign one PLC operation for them."""
    did = caller_did(ctx.auth)
    account, email = await ctx.pds.accounts.require_with_email(did)
    token = await ctx.pds.email_tokens.create(did, EmailTokenPurpose.PLC_OPERATION)
    await send_code(ctx.pds, CodeMails.PLC_OPERATION, to=email, token=token, handle=account.handle)


async def sign_plc_operation(ctx: XrpcContext) -> dict[str, Any]:
    """The caller's next PLC operation, signed with this server's rotation key.

    It follows the directory's newest operation; each field given in the input
    replaces that operation's. The e-mailed code is spent.
    """
    did = caller_did(ctx.auth)
    if not did.startswith(DID_PLC_PREFIX):
        raise InvalidRequest("Only did:plc identities have PLC operations")
    body = ctx.input
    if not body.get("token"):
        raise InvalidRequest("email confirmation token required to sign PLC operations")
    identity = ctx.pds.identity
    last = await identity.last_plc_operation(did)
    previous = normalize_operation(last)
    unsigned: dict[str, Any] = {
        "type": OPERATION_TYPE,
        **{field: body.get(field, previous[field]) for field in REPLACEABLE_FIELDS},
        "prev": str(operation_cid(last)),
    }
    operation = sign_operation(unsigned, identity.rotation_key)
    try:
        check_operation(operation)
    except InvalidOperation as error:
        raise InvalidRequest(f"Invalid operation: {error}") from None
    await ctx.pds.email_tokens.consume(did, EmailTokenPurpose.PLC_OPERATION, body["token"])
    return {"operation": operation}
