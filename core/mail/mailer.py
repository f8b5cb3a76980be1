"""The interface of a mail backend."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class MailError(Exception):
    """The message could not be handed over (SMTP refused it, the outbox is not writable...)."""


@runtime_checkable
class Mailer(Protocol):
    """Sends one message at a time, from the server's configured sender address.

    ``send`` returns once the message is handed over: accepted by the SMTP server, or
    written to the outbox. It raises :class:`MailError` when that fails; callers decide
    whether the failure reaches the client.
    """

    async def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Send ``text`` (and its ``html`` alternative, if given) to the address ``to``."""
        ...
