"""Sending e-mail: SMTP against a real local server, the file outbox, configuration."""

from __future__ import annotations

import stat
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from exprsn_pds.app import get_pds
from exprsn_pds.config import ConfigError, load_settings
from exprsn_pds.mail import Mailer, MailError
from exprsn_pds.pds import Pds
from exprsn_pds.plugins.mailer.outbox import OutboxMailer
from exprsn_pds.plugins.mailer.smtp import SmtpMailer, SmtpSettings
from exprsn_pds.registrars import PluginStartupError

SENDER = "PDS <noreply@pds.example.com>"
TIMEOUT_S = 10


def smtp_mailer(url: str) -> SmtpMailer:
    return SmtpMailer(SmtpSettings.from_url(url, timeout_s=TIMEOUT_S), sender=SENDER)


def read_eml(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


# --- SMTP ---------------------------------------------------------------------------------


async def test_smtp_delivers_to_a_real_server_with_login(smtp_server: Any) -> None:
    mailer = smtp_mailer(smtp_server.url())
    assert isinstance(mailer, Mailer)
    await mailer.send("alice@example.com", "Email Confirmation", "code ABCDE-FGHIJ", "<p>html</p>")

    [(envelope, message)] = smtp_server.received
    assert smtp_server.logins == ["pds-mailer"]
    assert envelope.mail_from == "noreply@pds.example.com"
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert message["From"] == SENDER
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Email Confirmation"
    assert message["Message-ID"]
    assert "ABCDE-FGHIJ" in body(message, "plain")
    assert body(message, "html").strip() == "<p>html</p>"


async def test_smtp_wrong_password_is_a_mail_error(smtp_server: Any) -> None:
    with pytest.raises(MailError, match="SMTP delivery"):
        await smtp_mailer(smtp_server.url(password="wrong")).send("a@example.com", "s", "t")
    assert smtp_server.received == []


async def test_smtp_unreachable_server_is_a_mail_error(smtp_server: Any) -> None:
    url = smtp_server.url()
    closed = url.replace(f":{smtp_server.port}", ":1")
    with pytest.raises(MailError):
        await smtp_mailer(closed).send("a@example.com", "s", "t")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, False, None, None)),
        ("smtps://mail.example.com", ("mail.example.com", 465, True, None, None)),
        ("smtp://u%40x:p%3Aw@mail.example.com:587", ("mail.example.com", 587, False, "u@x", "p:w")),
    ],
)
def test_smtp_url_parsing(url: str, expected: tuple[Any, ...]) -> None:
    parsed = SmtpSettings.from_url(url, timeout_s=1)
    assert (parsed.hostname, parsed.port, parsed.use_tls, parsed.username, parsed.password) == (
        expected
    )
    assert "p:w" not in repr(parsed)


# --- The outbox ---------------------------------------------------------------------------


async def test_outbox_writes_one_private_eml_file_per_message(tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path / "outbox", sender=SENDER)
    await outbox.send("alice@example.com", "First", "one")
    await outbox.send("bob@example.com", "Second", "two", "<b>two</b>")

    files = outbox.messages()
    assert [path.suffix for path in files] == [".eml", ".eml"]
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [p.name for p in files]
    first, second = (read_eml(path) for path in files)
    assert (first["To"], first["Subject"], body(first, "plain").strip()) == (
        "alice@example.com",
        "First",
        "one",
    )
    assert (second["From"], second["Subject"]) == (SENDER, "Second")
    assert body(second, "html").strip() == "<b>two</b>"
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)


async def test_outbox_that_cannot_be_written_is_a_mail_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(MailError, match="outbox"):
        await OutboxMailer(blocker, sender=SENDER).send("a@example.com", "s", "t")


async def test_header_injection_is_refused(tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path, sender=SENDER)
    with pytest.raises(ValueError, match="linefeed"):
        await outbox.send("a@example.com", "hi\nBcc: eve@example.com", "t")
    assert outbox.messages() == []


# --- Choosing the mailer ------------------------------------------------------------------


async def test_without_smtp_the_server_uses_the_outbox_and_warns(
    client_factory: Any, settings_factory: Any
) -> None:
    settings = settings_factory()
    with capture_logs() as logs:
        client = await client_factory(settings)
    mailer = get_pds(client.app).mailer
    assert isinstance(mailer, OutboxMailer)
    assert mailer.folder == settings.data_directory / "outbox"
    assert mailer.sender == "noreply@localhost"
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert any("NO SMTP SERVER CONFIGURED" in entry["event"] for entry in warnings), logs


async def test_with_smtp_the_server_sends_through_it_and_does_not_warn(
    client_factory: Any, settings_factory: Any, smtp_server: Any
) -> None:
    settings = settings_factory(
        email={"smtp_url": smtp_server.url(), "from_address": "pds@example.com"}
    )
    with capture_logs() as logs:
        client = await client_factory(settings)
    mailer = get_pds(client.app).mailer
    assert isinstance(mailer, SmtpMailer)
    assert not any("SMTP" in entry["event"] for entry in logs)
    await mailer.send("bob@example.com", "hello", "text")
    [(_, message)] = smtp_server.received
    assert message["From"] == "pds@example.com"


def test_smtp_without_a_sender_stops_start_up(settings_factory: Any) -> None:
    settings = settings_factory(email={"smtp_url": "smtp://mail.example.com"})
    with pytest.raises(PluginStartupError, match="PDS_EMAIL_FROM_ADDRESS"):
        Pds(settings)


def test_malformed_smtp_url_stops_start_up_without_showing_the_password(
    settings_factory: Any,
) -> None:
    settings = settings_factory(
        email={"smtp_url": "smtp://user:hunter2@mail.example.com:port", "from_address": "a@b.c"}
    )
    with pytest.raises(PluginStartupError, match=r"email\.smtp_url") as raised:
        Pds(settings)
    assert "hunter2" not in str(raised.value)


def test_session_plugin_without_a_mailer_stops_start_up(settings_factory: Any) -> None:
    settings = settings_factory(plugins={"enabled": ["session"], "disabled": ["mailer"]})
    with pytest.raises(PluginStartupError, match="mailer"):
        Pds(settings)


def test_smtp_password_is_masked_in_config_show(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "PDS_DATA_DIRECTORY": str(tmp_path),
            "PDS_EMAIL_SMTP_URL": "smtps://mailer:hunter2@smtp.example.com:465",
            "PDS_EMAIL_FROM_ADDRESS": "pds@example.com",
        }
    )
    assert settings.email_smtp_url == "smtps://mailer:hunter2@smtp.example.com:465"
    assert "hunter2" not in repr(settings)
    shown = settings.masked()["email"]
    assert shown["smtp_url"] == "smtps://mailer:********@smtp.example.com:465"
    assert shown["from_address"] == "pds@example.com"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PDS_EMAIL_SMTP_URL", "http://mail.example.com"), ("PDS_EMAIL_FROM_ADDRESS", "nobody")],
)
def test_bad_email_settings_name_the_key(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(environ={"PDS_DATA_DIRECTORY": str(tmp_path), variable: value})
