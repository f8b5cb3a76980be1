"""Fan-out of new notifications to the live stream (``io.exprsn.notification.subscribe``).

The indexer publishes each notification it wrote, after its transaction committed, on one
cache channel (:data:`CHANNEL`): in-process, or through Redis when configured, so the
process holding a recipient's stream hears of writes indexed by any process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from exprsn_pds import Pds
from exprsn_pds.plugins.appview.notification_store import StoredNotification

CHANNEL: Final = "appview:notifications"


def encode(item: StoredNotification) -> bytes:
    """The channel message of one notification: its recipient and id."""
    return json.dumps({"did": item.did, "id": item.id}, separators=(",", ":")).encode()


def decode(message: bytes) -> tuple[str, int] | None:
    """``(recipient, id)`` of a channel message, ``None`` for a malformed one."""
    try:
        value = json.loads(message)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    did, ident = value.get("did"), value.get("id")
    if not isinstance(did, str) or not isinstance(ident, int):
        return None
    return did, ident


async def publish_notifications(pds: Pds, written: Sequence[StoredNotification]) -> None:
    """Tell every process's stream of ``written`` (already committed)."""
    for item in written:
        await pds.cache.publish(CHANNEL, encode(item))
