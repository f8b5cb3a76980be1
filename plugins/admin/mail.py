"""``com.atproto.admin.sendEmail``: a message from the operator to an account's address."""

from __future__ import annotations

from typing import Any

from exprsn_pds import InvalidRequest, MailError, ServiceUnavailable, XrpcContext
from exprsn_pds.logs import get_logger

DEFAULT_SUBJECT = "Message from your PDS"

log = get_logger(__name__)


async def send_email(ctx: XrpcContext) -> dict[str, Any]:
    """Send ``content`` to the recipient's e-mail address; ``{"sent": true}`` once handed over."""
    body = ctx.input
    if await ctx.pds.accounts.get(body["recipientDid"]) is None:
        raise InvalidRequest("Recipient not found")
    account, email = await ctx.pds.accounts.require_with_email(body["recipientDid"])
    try:
        await ctx.pds.mailer.send(email, body.get("subject") or DEFAULT_SUBJECT, body["content"])
    except MailError as error:
        log.warning("admin e-mail not sent", recipient=account.did, reason=str(error))
        raise ServiceUnavailable("The e-mail could not be sent") from error
    log.info("admin e-mail sent", recipient=account.did, sender=body["senderDid"])
    return {"sent": True}
