"""E-mailed codes: the messages that carry them, and sending them.

Subjects are the official PDS's. A message says what the code is for, the code, how
long it lasts, and what to do if nobody asked for it.
"""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from exprsn_pds.errors import ServiceUnavailable
from exprsn_pds.logs import get_logger
from exprsn_pds.mail.mailer import MailError

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

SECONDS_PER_MINUTE = 60

log = get_logger(__name__)


@dataclass(frozen=True)
class CodeMail:
    """One kind of message carrying a code."""

    subject: str
    purpose: str


class CodeMails(Enum):
    """The messages sent by ``request*`` methods."""

    CONFIRM_EMAIL = CodeMail("Email Confirmation", "confirm this e-mail address")
    UPDATE_EMAIL = CodeMail("Email Update Requested", "change the e-mail address of your account")
    RESET_PASSWORD = CodeMail("Password Reset Requested", "reset your password")
    DELETE_ACCOUNT = CodeMail("Account Deletion Requested", "delete your account")
    PLC_OPERATION = CodeMail(
        "PLC Update Operation Requested", "sign a change of your identity (DID document)"
    )


@dataclass(frozen=True)
class MailContent:
    """A rendered message: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


def render(
    kind: CodeMails, *, token: str, handle: str | None, service: str, ttl_s: int
) -> MailContent:
    """The message carrying ``token``, valid for ``ttl_s``, from the server ``service``."""
    mail = kind.value
    minutes = max(1, ttl_s // SECONDS_PER_MINUTE)
    greeting = f"Hello {handle}," if handle else "Hello,"
    lines = [
        greeting,
        f"Someone asked {service} to {mail.purpose}. Enter this code to do it:",
        token,
        f"The code works once, for {minutes} minutes.",
        "If you did not ask for this, ignore this message: nothing changes without the code.",
    ]
    text = "\n\n".join(lines) + "\n"
    body = "".join(
        f"<p><strong>{html.escape(line)}</strong></p>"
        if line == token
        else f"<p>{html.escape(line)}</p>"
        for line in lines
    )
    return MailContent(subject=mail.subject, text=text, html=f"<html><body>{body}</body></html>")


def _content(pds: Pds, kind: CodeMails, token: str, handle: str | None) -> MailContent:
    return render(
        kind,
        token=token,
        handle=handle,
        service=pds.settings.hostname,
        ttl_s=pds.settings.email_token_ttl_s,
    )


async def send_code(pds: Pds, kind: CodeMails, *, to: str, token: str, handle: str | None) -> None:
    """E-mail ``token`` to ``to``; 503 ServiceUnavailable when the mail cannot go out."""
    content = _content(pds, kind, token, handle)
    try:
        await pds.mailer.send(to, content.subject, content.text, content.html)
    except MailError as error:
        log.error("could not send e-mail", subject=content.subject, error=str(error))
        raise ServiceUnavailable("Could not send the e-mail; try again later") from error


async def send_code_quietly(
    pds: Pds, kind: CodeMails, *, to: str, token: str, handle: str | None
) -> None:
    """Like :func:`send_code`, but a failure is only logged (the caller must not reveal it)."""
    with contextlib.suppress(ServiceUnavailable):
        await send_code(pds, kind, to=to, token=token, handle=handle)
