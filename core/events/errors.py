"""Why an event stream ends early."""

from __future__ import annotations


class EventStreamError(Exception):
    """An event stream cannot go on; the subscriber may reconnect with its last cursor."""


class FutureCursor(EventStreamError):
    """The requested cursor is ahead of the newest event."""


class ConsumerTooSlow(EventStreamError):
    """The subscriber fell further behind than its live queue holds."""


class StreamInterrupted(EventStreamError):
    """The live feed stopped (lost cache subscription, or shutdown); nothing is lost."""


class TooManySubscribers(EventStreamError):
    """The subscriber cap (in total or for the subscriber's address) is reached."""
