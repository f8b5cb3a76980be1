"""XRPC-shaped bodies for the errors hypercorn answers itself, before the app sees a request.

A request line or headers past hypercorn's size limit (``431``), or a request h11 cannot
parse (``400``), never reach Quart: hypercorn answers them with an empty body. An XRPC
client expects ``{"error", "message"}`` on every error, so :func:`install` replaces that
empty answer with one. It patches hypercorn's HTTP/1.1 protocol class, in the process
that serves (the app factory calls it); ``tests/test_edge_errors.py`` runs a real server
so an upgrade of hypercorn that moves the method fails there.
"""

from __future__ import annotations

import json
from itertools import chain
from typing import Any, Final

import h11
from hypercorn.protocol.h11 import H11Protocol

#: What each status hypercorn answers by itself means to an XRPC caller.
MESSAGES: Final = {
    400: "Malformed HTTP request",
    431: "Request line or headers are too large",
}
ERROR_NAME: Final = "InvalidRequest"
_PATCHED: Final = "_send_error_response"


def error_body(status_code: int) -> bytes:
    """The JSON body of hypercorn's own answer with ``status_code``."""
    message = MESSAGES.get(status_code, "The request could not be served")
    return json.dumps({"error": ERROR_NAME, "message": message}).encode()


async def _send_error_response(self: Any, status_code: int) -> None:
    body = error_body(status_code)
    headers = chain(
        [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
        self.config.response_headers("h11"),
    )
    await self._send_h11_event(h11.Response(status_code=status_code, headers=list(headers)))
    await self._send_h11_event(h11.Data(data=body))
    await self._send_h11_event(h11.EndOfMessage())


def install() -> None:
    """Make hypercorn's HTTP/1.1 error answers carry an XRPC error body (idempotent)."""
    setattr(H11Protocol, _PATCHED, _send_error_response)
