"""Sequenced repo events: the event log, its firehose fan-out, retention and crawlers.

- :mod:`~exprsn_pds.events.types`: the typed event values (:class:`CommitEvent`,
  :class:`SyncEvent`, :class:`IdentityEvent`, :class:`AccountEvent`; :data:`AnyEvent`)
  and :func:`decode_event`, which reads a stored frame back into one.
- :class:`EventLog` is the one path of every event: a change's unit of work
  (:meth:`~EventLog.unit`) sequences its events inside its transaction (the frame
  encoded once and stored in ``repo_event``, :mod:`exprsn_pds.events.models`) and,
  once committed, publishes them, tells the crawlers and calls ``pds_on_event``.
- :class:`FirehoseHub` (one per process) holds the one cache subscription to the event
  channel and fans events out to each subscriber's bounded queue.
- :func:`follow_events` gives a subscriber the stored events after its cursor and then
  the live ones, with no gap and no duplicate.
- :class:`EventPurger` keeps the log to its retention window; :class:`CrawlerNotifier`
  asks relays to crawl this server.
"""

from exprsn_pds.events.crawlers import CrawlerNotifier
from exprsn_pds.events.errors import (
    ConsumerTooSlow,
    EventStreamError,
    FutureCursor,
    StreamInterrupted,
    TooManySubscribers,
)
from exprsn_pds.events.hub import FirehoseHub, HubSubscription
from exprsn_pds.events.log import EventListener, EventLog, EventUnit
from exprsn_pds.events.retention import EventPurger
from exprsn_pds.events.store import purge_events
from exprsn_pds.events.stream import follow_events
from exprsn_pds.events.types import (
    AccountEvent,
    AnyEvent,
    CommitEvent,
    Event,
    EventFrame,
    IdentityEvent,
    InvalidEventFrame,
    RepoOp,
    SyncEvent,
    decode_event,
)
from exprsn_pds.storage import ModelApp

MODEL_APP = ModelApp(
    label="events",
    models=["exprsn_pds.events.models"],
    migrations="exprsn_pds.events.migrations",
)

__all__ = [
    "MODEL_APP",
    "AccountEvent",
    "AnyEvent",
    "CommitEvent",
    "ConsumerTooSlow",
    "CrawlerNotifier",
    "Event",
    "EventFrame",
    "EventListener",
    "EventLog",
    "EventPurger",
    "EventStreamError",
    "EventUnit",
    "FirehoseHub",
    "FutureCursor",
    "HubSubscription",
    "IdentityEvent",
    "InvalidEventFrame",
    "RepoOp",
    "StreamInterrupted",
    "SyncEvent",
    "TooManySubscribers",
    "decode_event",
    "follow_events",
    "purge_events",
]
