"""Building a message: a plain-text body with an optional HTML alternative."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def build_message(
    *, sender: str, to: str, subject: str, text: str, html: str | None = None
) -> EmailMessage:
    """A complete message with ``From``, ``To``, ``Subject``, ``Date`` and ``Message-ID``.

    ``ValueError`` when a header would be malformed (e.g. a line break in ``subject``).
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    _, _, domain = sender.rpartition("@")
    message["Message-ID"] = make_msgid(domain=domain or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message
