"""Event frames: the ``com.atproto.sync.subscribeRepos`` message of each event type.

The framing itself is :func:`exprsn_pds.xrpc.frames.encode_message`.
"""

from __future__ import annotations

from typing import Any, Final

from exprsn_pds.xrpc.frames import encode_message
from exprsn_pds.xrpc.types import SubscriptionMessage

# Event type (as stored) -> message type of com.atproto.sync.subscribeRepos.
MESSAGE_TYPES: Final = {
    "commit": "#commit",
    "sync": "#sync",
    "identity": "#identity",
    "account": "#account",
}
INFO_MESSAGE_TYPE: Final = "#info"
OUTDATED_CURSOR: Final = "OutdatedCursor"


def event_frame(type: str, body: dict[str, Any]) -> bytes:
    """The WebSocket message of an event of ``type`` (``"commit"``, ``"identity"`` ...)."""
    message_type = MESSAGE_TYPES.get(type)
    if message_type is None:
        raise ValueError(f"unknown event type {type!r}; expected one of {sorted(MESSAGE_TYPES)}")
    return _frame(message_type, body)


def info_frame(name: str, message: str) -> bytes:
    """An ``#info`` message, e.g. ``OutdatedCursor``."""
    return _frame(INFO_MESSAGE_TYPE, {"name": name, "message": message})


def _frame(message_type: str, body: dict[str, Any]) -> bytes:
    return encode_message(SubscriptionMessage(message_type, body))
