"""Sending through an SMTP server with ``aiosmtplib``, one connection per message."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import aiosmtplib

from exprsn_pds import MailError
from exprsn_pds.mail import build_message

SMTP_PORT = 25
SMTPS_PORT = 465


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect: ``smtp://`` (STARTTLS when offered) or ``smtps://`` (TLS)."""

    hostname: str
    port: int
    use_tls: bool
    timeout_s: float
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float) -> SmtpSettings:
        """Parse ``smtp[s]://[user[:password]@]host[:port]``; ``ValueError`` if malformed."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL is smtp://host[:port] or smtps://host[:port]")
        use_tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (SMTPS_PORT if use_tls else SMTP_PORT),
            use_tls=use_tls,
            timeout_s=timeout_s,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


class SmtpMailer:
    """A :class:`~exprsn_pds.mail.Mailer` handing messages to an SMTP server."""

    def __init__(self, settings: SmtpSettings, *, sender: str) -> None:
        self.settings = settings
        self.sender = sender

    def __repr__(self) -> str:
        return f"<SmtpMailer {self.settings.hostname}:{self.settings.port}>"

    async def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Deliver one message; :class:`MailError` when the server refuses or is unreachable."""
        message = build_message(sender=self.sender, to=to, subject=subject, text=text, html=html)
        settings = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.hostname,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.use_tls,
                timeout=settings.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailError(f"SMTP delivery to {settings.hostname} failed: {error}") from error
