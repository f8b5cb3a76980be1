"""``com.atproto.admin.sendEmail``: a message from the operator to an account's address."""

from __future__ import annotations

from typing import Any

from exprsn_pds import XrpcContext
from exprsn_pds.accounts.lifecycle import NO_EMAIL
from exprsn_pds.accounts.models import Account
from exprsn_pds.errors import InvalidRequest, ServiceUnavailable
from exprsn_pds.logs import get_logger
from exprsn_pds.mail import MailError

DEFAULT_SUBJECT = "Message from your PDS"

log = get_logger(__name__)


async def send_email(ctx: XrpcContext) -> dict[str, Any]:
    """Send ``content`` to the recipient's e-mail address; ``{"sent": true}`` once handed over."""
    body = ctx.input
    account = await Account.get_or_none(did=body["recipientDid"])
    if account is None:
        raise InvalidRequest("Recipient not found")
    if not account.email:
        raise InvalidRequest(NO_EMAIL)
    try:
        await ctx.pds.mailer.send(
            account.email, body.get("subject") or DEFAULT_SUBJECT, body["content"]
        )
    except MailError as error:
        log.warning("admin e-mail not sent", recipient=account.did, reason=str(error))
        raise ServiceUnavailable("The e-mail could not be sent") from error
    log.info("admin e-mail sent", recipient=account.did, sender=body["senderDid"])
    return {"sent": True}
