"""Sequenced repo events: the event log, its firehose fan-out, retention and crawlers.

- :class:`Sequencer` numbers an event inside the writer's transaction
  (:meth:`~Sequencer.sequence`) and announces it once committed
  (:meth:`~Sequencer.publish`); the event's frame is encoded once and stored in
  ``repo_event`` (:mod:`exprsn_pds.events.models`).
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
)
from exprsn_pds.events.hub import FirehoseHub, HubSubscription
from exprsn_pds.events.retention import EventPurger
from exprsn_pds.events.sequencer import Sequencer
from exprsn_pds.events.store import purge_events
from exprsn_pds.events.stream import follow_events
from exprsn_pds.events.types import EventFrame, SequencedEvent
from exprsn_pds.storage import ModelApp

MODEL_APP = ModelApp(
    label="events",
    models=["exprsn_pds.events.models"],
    migrations="exprsn_pds.events.migrations",
)

__all__ = [
    "MODEL_APP",
    "ConsumerTooSlow",
    "CrawlerNotifier",
    "EventFrame",
    "EventPurger",
    "EventStreamError",
    "FirehoseHub",
    "FutureCursor",
    "HubSubscription",
    "SequencedEvent",
    "Sequencer",
    "StreamInterrupted",
    "follow_events",
    "purge_events",
]
