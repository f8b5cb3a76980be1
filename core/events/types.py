"""What the sequencer produces and the hub carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventFrame:
    """A sequenced event as subscribers receive it: its ``seq`` and its WebSocket message."""

    seq: int
    frame: bytes


@dataclass(frozen=True)
class SequencedEvent(EventFrame):
    """An event just sequenced: also its repo, type and body (with ``seq`` and ``time``)."""

    did: str
    type: str
    body: dict[str, Any]
