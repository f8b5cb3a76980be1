"""Sending e-mail: the :class:`Mailer` interface every mail backend implements.

The server's mailer is ``pds.mailer``, chosen at start-up through the ``pds_mailer``
hook (the built-in ``mailer`` plugin: SMTP, or a file outbox for development).
"""

from exprsn_pds.mail.mailer import Mailer, MailError
from exprsn_pds.mail.message import build_message

__all__ = ["MailError", "Mailer", "build_message"]
