"""This process's end of the notification channel: one cache subscription, fanned out to
the process's ``io.exprsn.notification.subscribe`` streams by recipient.

The hub subscribes when its first stream opens (:meth:`NotificationHub.open` returns once
the subscription is live, so a stream that then replays from the database misses nothing)
and stays subscribed until shutdown. Each stream has a bounded queue of notification ids;
a stream that falls further behind is marked overflowed and ends (``ConsumerTooSlow``); a
lost cache subscription ends every stream (the clients reconnect with their cursor).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Final
from weakref import WeakKeyDictionary

from exprsn_pds import Pds
from exprsn_pds.plugins.appview.notification_stream import CHANNEL, decode

QUEUE_MAX: Final = 1000
"""Notification ids one stream may have waiting before it is dropped."""


@dataclass(eq=False)
class StreamQueue:
    """One stream's waiting notification ids, and why it must end, if it must."""

    did: str
    ids: asyncio.Queue[int] = field(default_factory=lambda: asyncio.Queue(QUEUE_MAX))
    ended: str | None = None
    """``"overflow"`` or ``"interrupted"``."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def deliver(self, ident: int) -> None:
        """Queue ``ident``, or mark the stream overflowed."""
        try:
            self.ids.put_nowait(ident)
        except asyncio.QueueFull:
            self.end("overflow")
        self.wake.set()

    def end(self, reason: str) -> None:
        """The stream must end for ``reason``."""
        if self.ended is None:
            self.ended = reason
        self.wake.set()

    async def next_ids(self) -> list[int]:
        """Every waiting id, waiting for one if none is; empty when the stream must end."""
        while self.ids.empty() and self.ended is None:
            self.wake.clear()
            await self.wake.wait()
        if self.ended is not None:
            return []
        found = []
        while not self.ids.empty():
            found.append(self.ids.get_nowait())
        return found


class NotificationHub:
    """See the module docstring."""

    def __init__(self, pds: Pds) -> None:
        self._pds = pds
        self._streams: dict[str, set[StreamQueue]] = {}
        self._task: asyncio.Task[None] | None = None
        self._live = asyncio.Event()

    async def open(self, did: str) -> StreamQueue:
        """A queue for ``did``'s new notifications, once the channel subscription is live."""
        queue = StreamQueue(did)
        self._streams.setdefault(did, set()).add(queue)
        if self._task is None or self._task.done():
            self._live = asyncio.Event()
            self._task = asyncio.create_task(self._run(self._live))
        live = asyncio.create_task(self._live.wait())
        await asyncio.wait({live, self._task}, return_when=asyncio.FIRST_COMPLETED)
        live.cancel()
        if not self._live.is_set():
            queue.end("interrupted")
        return queue

    def close(self, queue: StreamQueue) -> None:
        """Forget ``queue`` (its stream ended)."""
        streams = self._streams.get(queue.did)
        if streams is not None:
            streams.discard(queue)
            if not streams:
                del self._streams[queue.did]

    async def stop(self) -> None:
        """Unsubscribe; every stream ends."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._interrupt()

    async def _run(self, live: asyncio.Event) -> None:
        try:
            async with self._pds.cache.subscribe(CHANNEL) as messages:
                live.set()
                async for message in messages:
                    decoded = decode(message)
                    if decoded is None:
                        continue
                    for queue in list(self._streams.get(decoded[0], ())):
                        queue.deliver(decoded[1])
        finally:
            self._interrupt()

    def _interrupt(self) -> None:
        for streams in list(self._streams.values()):
            for queue in list(streams):
                queue.end("interrupted")


_HUBS: WeakKeyDictionary[Pds, NotificationHub] = WeakKeyDictionary()


def hub_of(pds: Pds) -> NotificationHub:
    """The one hub of ``pds``."""
    if pds not in _HUBS:
        _HUBS[pds] = NotificationHub(pds)
    return _HUBS[pds]
