"""``FirehoseHub``: one cache subscription per process, fanned out to bounded queues.

The sequencer publishes each committed event on one cache channel (in-process, or Redis
for several processes). Each process's hub holds the one subscription to that channel
and hands every event to the :class:`HubSubscription` of each firehose subscriber. A
subscriber's queue is bounded: one that falls further behind is marked as overflowed
(its queue dropped) rather than growing without bound. When the hub loses its cache
subscription every subscriber is interrupted, since events may have been missed; the hub
subscribes again, and subscribers reconnect with their cursor and lose nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Final

from exprsn_pds.bounded_queue import BoundedQueue, QueueOverflowed
from exprsn_pds.cache import Cache, Subscription, SubscriptionLost
from exprsn_pds.events.errors import ConsumerTooSlow, StreamInterrupted, TooManySubscribers
from exprsn_pds.events.types import EventFrame
from exprsn_pds.logs import get_logger
from exprsn_pds.net import UNKNOWN_CLIENT
from exprsn_pds.tasks import stop_task

EVENTS_CHANNEL: Final = "events:repo"
DEFAULT_QUEUE_MAX_EVENTS: Final = 1000
RECONNECT_FIRST_DELAY_S: Final = 0.5
RECONNECT_MAX_DELAY_S: Final = 30.0
SEQ_BYTES: Final = 8
LOST_SUBSCRIPTION: Final = "The event stream was interrupted; reconnect with your last cursor"
SHUT_DOWN: Final = "The server is shutting down; reconnect with your last cursor"

log = get_logger(__name__)


def encode_notification(event: EventFrame) -> bytes:
    """The channel message of ``event``: its ``seq`` (8 bytes, big-endian), then its frame."""
    return event.seq.to_bytes(SEQ_BYTES, "big") + event.frame


def decode_notification(message: bytes) -> EventFrame:
    """The event carried by a channel message made by :func:`encode_notification`."""
    return EventFrame(int.from_bytes(message[:SEQ_BYTES], "big"), message[SEQ_BYTES:])


class FirehoseHub:
    """This process's end of the event channel: publishes events and fans them out.

    ``queue_max_events`` (and ``queue_max_bytes``, of frames) bounds each subscriber's
    queue of live events; ``max_subscribers`` and ``max_subscribers_per_client`` (``None``:
    unlimited) cap how many subscribers this process serves. :meth:`start`
    subscribes to the cache channel (raising
    :class:`~exprsn_pds.cache.SubscriptionLost` if the cache cannot be reached);
    :meth:`stop` unsubscribes and interrupts every subscriber.
    """

    def __init__(
        self,
        *,
        queue_max_events: int = DEFAULT_QUEUE_MAX_EVENTS,
        queue_max_bytes: int | None = None,
        max_subscribers: int | None = None,
        max_subscribers_per_client: int | None = None,
        channel: str = EVENTS_CHANNEL,
    ) -> None:
        if queue_max_events < 1:
            raise ValueError(f"queue_max_events must be at least 1, got {queue_max_events}")
        self._queue_max_events = queue_max_events
        self._queue_max_bytes = queue_max_bytes
        self._max_subscribers = max_subscribers
        self._max_per_client = max_subscribers_per_client
        self._channel = channel
        self._cache: Cache | None = None
        self._task: asyncio.Task[None] | None = None
        self._subscriptions: set[HubSubscription] = set()
        self._per_client: Counter[str] = Counter()
        self._live = False

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are registered now."""
        return len(self._subscriptions)

    @property
    def subscriptions(self) -> tuple[HubSubscription, ...]:
        """The subscriptions registered now."""
        return tuple(self._subscriptions)

    async def start(self, cache: Cache) -> None:
        """Subscribe to the event channel of ``cache`` and start fanning events out."""
        if self._task is not None:
            raise RuntimeError("the firehose hub is already started")
        stack, messages = await self._subscribe(cache)
        self._cache = cache
        self._live = True
        self._task = asyncio.create_task(self._run(cache, stack, messages))

    async def stop(self) -> None:
        """Unsubscribe; every subscriber's stream ends with :class:`StreamInterrupted`."""
        task, self._task = self._task, None
        await stop_task(task)
        self._cache = None
        self._interrupt(SHUT_DOWN)

    async def publish(self, event: EventFrame) -> None:
        """Send ``event`` to the hubs of every process (this one included)."""
        if self._cache is None:
            raise RuntimeError("the firehose hub is not started")
        await self._cache.publish(self._channel, encode_notification(event))

    def subscribe(self, client: str = UNKNOWN_CLIENT) -> HubSubscription:
        """A bounded queue of the events published from the moment it is entered.

        Entering it raises :class:`TooManySubscribers` when this process already serves
        ``max_subscribers``, or ``max_subscribers_per_client`` for ``client`` (an IP).
        """
        return HubSubscription(
            self, self._queue_max_events, max_bytes=self._queue_max_bytes, client=client
        )

    async def _subscribe(self, cache: Cache) -> tuple[AsyncExitStack, Subscription]:
        stack = AsyncExitStack()
        messages = await stack.enter_async_context(cache.subscribe(self._channel))
        return stack, messages

    async def _run(self, cache: Cache, stack: AsyncExitStack, messages: Subscription) -> None:
        while True:
            try:
                async with stack:
                    async for message in messages:
                        self._deliver(decode_notification(message))
                return  # the cache closed
            except SubscriptionLost as error:
                log.warning("firehose hub lost its subscription", reason=str(error))
            except Exception:  # keep the firehose alive whatever the backend raised
                log.exception("firehose hub failed reading its subscription")
            finally:
                self._live = False
                self._interrupt(LOST_SUBSCRIPTION)
            stack, messages = await self._resubscribe(cache)
            self._live = True
            log.info("firehose hub subscribed again")

    async def _resubscribe(self, cache: Cache) -> tuple[AsyncExitStack, Subscription]:
        delay_s = RECONNECT_FIRST_DELAY_S
        while True:
            try:
                return await self._subscribe(cache)
            except SubscriptionLost as error:
                log.warning("firehose hub cannot subscribe", reason=str(error), retry_s=delay_s)
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, RECONNECT_MAX_DELAY_S)

    def _deliver(self, event: EventFrame) -> None:
        for subscription in self._subscriptions:
            subscription.deliver(event)

    def _interrupt(self, reason: str) -> None:
        for subscription in self._subscriptions:
            subscription.interrupt(reason)

    def _register(self, subscription: HubSubscription) -> None:
        if not self._live:
            raise StreamInterrupted(LOST_SUBSCRIPTION)
        limit = self._max_subscribers
        if limit is not None and len(self._subscriptions) >= limit:
            raise TooManySubscribers(f"This server already has {limit} firehose subscribers")
        limit, client = self._max_per_client, subscription.client
        if limit is not None and self._per_client[client] >= limit:
            raise TooManySubscribers(f"{client} already has {limit} firehose subscriptions")
        self._subscriptions.add(subscription)
        self._per_client[client] += 1

    def _unregister(self, subscription: HubSubscription) -> None:
        if subscription not in self._subscriptions:
            return
        self._subscriptions.discard(subscription)
        self._per_client[subscription.client] -= 1
        if not self._per_client[subscription.client]:
            del self._per_client[subscription.client]


class HubSubscription:
    """One subscriber's queue of live events, at most ``max_events`` (and ``max_bytes``) long.

    Use as ``async with hub.subscribe(client) as live: ... await live.get()``. When the
    queue overflows it is dropped and :attr:`overflowed` set; :meth:`get` then raises
    :class:`ConsumerTooSlow`, unless the reader first recovers the dropped events from
    the event log and calls :meth:`forgive_overflow`. Leaving the ``async with`` drops
    whatever is still queued.
    """

    def __init__(
        self,
        hub: FirehoseHub,
        max_events: int,
        *,
        max_bytes: int | None = None,
        client: str = UNKNOWN_CLIENT,
    ) -> None:
        self._hub = hub
        self.client = client
        self._queue: BoundedQueue[EventFrame] = BoundedQueue(
            max_events, max_bytes=max_bytes, measure=None if max_bytes is None else _frame_bytes
        )

    async def __aenter__(self) -> HubSubscription:
        self._hub._register(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._hub._unregister(self)
        self._queue.close(StreamInterrupted("the subscription ended"))

    @property
    def overflowed(self) -> bool:
        """Whether events were dropped since entering (or the last :meth:`forgive_overflow`)."""
        return self._queue.overflowed

    @property
    def queued_bytes(self) -> int:
        """The size of the frames queued now (counted only with ``max_bytes``)."""
        return self._queue.queued_bytes

    def forgive_overflow(self) -> None:
        """Accept events again after an overflow; the caller reads the dropped ones elsewhere."""
        self._queue.forgive_overflow()

    async def get(self) -> EventFrame:
        """The next live event, waiting for one.

        Raises :class:`StreamInterrupted` once the hub lost its subscription or stopped,
        and :class:`ConsumerTooSlow` once the queue overflowed.
        """
        try:
            return await self._queue.get()
        except QueueOverflowed:
            raise ConsumerTooSlow(
                "Stream consumer too slow: its queue of live events overflowed"
            ) from None

    def deliver(self, event: EventFrame) -> None:
        """Queue ``event``; a full queue is dropped and marked as overflowed."""
        self._queue.put(event)

    def interrupt(self, reason: str) -> None:
        """End the subscription: :meth:`get` raises :class:`StreamInterrupted` with ``reason``."""
        self._queue.close(StreamInterrupted(reason))


def _frame_bytes(event: EventFrame) -> int:
    return len(event.frame)
