"""How ``pds serve`` listens: the socket, hypercorn's settings, the data-directory lock.

The listening socket is made here rather than by hypercorn so that a port in use is one
clear :class:`ServeError`, and so that every accepted connection inherits a TCP user
timeout: a peer that acknowledges nothing sent to it for ``server.send_timeout_s``
(it stopped reading, or it is gone) is dropped by the kernel. Together with hypercorn's
WebSocket pings this also finds dead firehose subscribers.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO, Final

from hypercorn.config import Config as HypercornConfig

from exprsn_pds.config import Settings

HYPERCORN_LOGGER: Final = "hypercorn.error"
LISTEN_BACKLOG: Final = 1024
MS_PER_S: Final = 1000
SERVER_LOCK_FILENAME: Final = "server.lock"
ASGI_FACTORY: Final = "exprsn_pds.app:asgi_app()"


class ServeError(Exception):
    """The server cannot start; the message says why in one line."""


def listen(settings: Settings) -> socket.socket:
    """A listening TCP socket on ``server.bind:server.port`` with the TCP user timeout set.

    Raises :class:`ServeError` when the address is in use or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in settings.bind else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        user_timeout = getattr(socket, "TCP_USER_TIMEOUT", None)
        if user_timeout is not None:  # Linux; elsewhere pings and send timeouts remain
            timeout_ms = int(settings.send_timeout_s * MS_PER_S)
            listener.setsockopt(socket.IPPROTO_TCP, user_timeout, timeout_ms)
        listener.bind((settings.bind, settings.port))
        listener.listen(LISTEN_BACKLOG)
    except OSError as error:
        listener.close()
        where = f"{settings.bind}:{settings.port}"
        if error.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {settings.port} is already in use on {settings.bind} (another server?);"
                " stop it or choose another port (server.port / PDS_PORT)"
            ) from None
        raise ServeError(f"cannot listen on {where}: {error.strerror}") from None
    listener.set_inheritable(True)
    return listener


def hypercorn_config(settings: Settings, listener: socket.socket) -> HypercornConfig:
    """hypercorn's settings for serving on ``listener`` (made by :func:`listen`).

    The socket is handed over: hypercorn owns (and closes) it from here on.
    """
    config = HypercornConfig()
    config.application_path = ASGI_FACTORY
    config.bind = [f"fd://{listener.detach()}"]
    config.websocket_ping_interval = settings.websocket_ping_interval_s
    config.accesslog = None  # our own access-log line carries the request id
    config.errorlog = logging.getLogger(HYPERCORN_LOGGER)  # one handler, one format
    return config


class DataDirectoryLock:
    """An exclusive lock on a data directory, held while this process serves it.

    A second server on the same directory would share its SQLite file, blobs and
    generated secrets with the first; :meth:`acquire` refuses with :class:`ServeError`.
    The lock is a ``flock`` on ``<data_directory>/server.lock``: the kernel releases it
    when the process ends, however it ends.
    """

    def __init__(self, data_directory: Path) -> None:
        self.path = data_directory / SERVER_LOCK_FILENAME
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`ServeError` naming the process that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise ServeError(
                f"another server (pid {holder}) is already running on the data directory"
                f" {self.path.parent}; stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Give the lock up (ending the process does the same)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
