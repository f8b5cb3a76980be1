"""The ``mailer`` plugin: how the server sends e-mail (``pds_mailer``).

SMTP through ``aiosmtplib`` when ``email.smtp_url`` is set; otherwise a file outbox,
one ``.eml`` file per message under ``<data_directory>/outbox``, for development,
announced by a warning at start-up. Another plugin's ``pds_mailer`` takes precedence.
"""

from __future__ import annotations

from exprsn_pds import Mailer, Pds, PluginStartupError, hookimpl
from exprsn_pds.config.settings import mask_url_password
from exprsn_pds.logs import get_logger
from exprsn_pds.plugins.mailer.outbox import OutboxMailer
from exprsn_pds.plugins.mailer.smtp import SmtpMailer, SmtpSettings

OUTBOX_FOLDER = "outbox"
OUTBOX_SENDER_LOCAL_PART = "noreply"

log = get_logger(__name__)


@hookimpl(trylast=True)
def pds_mailer(pds: Pds) -> Mailer:
    """SMTP when ``email.smtp_url`` is set, else the outbox (the fallback mailer)."""
    settings = pds.settings
    if settings.email_smtp_url:
        if not settings.email_from_address:
            raise PluginStartupError(
                "PDS_EMAIL_FROM_ADDRESS (email.from_address) is required with"
                " PDS_EMAIL_SMTP_URL (email.smtp_url)"
            )
        try:
            smtp = SmtpSettings.from_url(
                settings.email_smtp_url, timeout_s=settings.email_smtp_timeout_s
            )
        except ValueError as error:
            shown = mask_url_password(settings.email_smtp_url)
            raise PluginStartupError(
                f"PDS_EMAIL_SMTP_URL (email.smtp_url): unsupported URL {shown!r}: {error}"
            ) from error
        return SmtpMailer(smtp, sender=settings.email_from_address)
    sender = settings.email_from_address or f"{OUTBOX_SENDER_LOCAL_PART}@{settings.hostname}"
    return OutboxMailer(settings.data_directory / OUTBOX_FOLDER, sender=sender)


@hookimpl
def pds_startup(pds: Pds) -> None:
    """Say loudly when e-mail is not really sent."""
    mailer = pds.mailer
    if isinstance(mailer, OutboxMailer):
        log.warning(
            "NO SMTP SERVER CONFIGURED: e-mail is NOT sent, only written to the outbox folder;"
            " set PDS_EMAIL_SMTP_URL and PDS_EMAIL_FROM_ADDRESS to send it",
            outbox=str(mailer.folder),
        )
