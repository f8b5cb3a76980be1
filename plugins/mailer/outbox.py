"""The development outbox: each message a ``.eml`` file in one folder, nothing sent.

Files are written atomically (a temporary file in the same folder, flushed to disk,
then renamed), readable by the owner only (the messages carry login codes), and named
so that sorting them by name sorts them by time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from email.message import EmailMessage
from pathlib import Path

from exprsn_pds import MailError
from exprsn_pds.mail import build_message

FILE_SUFFIX = ".eml"
TEMP_PREFIX = ".tmp-"
FOLDER_MODE = 0o700
FILE_MODE = 0o600


class OutboxMailer:
    """A :class:`~exprsn_pds.mail.Mailer` that writes messages to ``folder``."""

    def __init__(self, folder: Path, *, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def __repr__(self) -> str:
        return f"<OutboxMailer {self.folder}>"

    async def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Write the message as one new ``.eml`` file; :class:`MailError` if that fails."""
        message = build_message(sender=self.sender, to=to, subject=subject, text=text, html=html)
        try:
            await asyncio.to_thread(self._write, message)
        except OSError as error:
            raise MailError(f"could not write to the outbox {self.folder}: {error}") from error

    def messages(self) -> list[Path]:
        """The messages written so far, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob(f"*{FILE_SUFFIX}"))

    def _write(self, message: EmailMessage) -> Path:
        self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{uuid.uuid4().hex}{FILE_SUFFIX}"
        temp = self.folder / f"{TEMP_PREFIX}{name}"
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            final = self.folder / name
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return final
