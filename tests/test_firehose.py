"""The firehose: sequenced events, replay from a cursor, the live tail, fan-out, back-pressure.

Every test runs on SQLite with the in-process cache and on PostgreSQL with Redis, except
where a test says otherwise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import socket
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import libipld
import pytest
from quart.testing.connections import WebsocketDisconnectError
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Ping, Request

from exprsn_pds import hookimpl
from exprsn_pds.app import get_pds
from exprsn_pds.cache import Cache, MemoryCache, RedisCache
from exprsn_pds.config import Settings
from exprsn_pds.datamodel import Cid, DataModelError, decode, encode
from exprsn_pds.events import (
    CommitEvent,
    ConsumerTooSlow,
    EventFrame,
    EventLog,
    EventPurger,
    FirehoseHub,
    HubSubscription,
    IdentityEvent,
    StreamInterrupted,
    follow_events,
    purge_events,
)
from exprsn_pds.events.hub import EVENTS_CHANNEL, encode_notification
from exprsn_pds.events.models import RepoEvent
from exprsn_pds.pds import Pds
from exprsn_pds.plugins.sync.firehose import subscribe_repos
from exprsn_pds.syntax import Datetime

SUBSCRIBE_NSID = "com.atproto.sync.subscribeRepos"
SUBSCRIBE = f"/xrpc/{SUBSCRIBE_NSID}"
DID = "did:plc:firehosetest000000000000"
SMALL_QUEUE_EVENTS = 4
RECEIVE_TIMEOUT_S = 10.0
LIVE_POLL_S = 0.05
COMMIT_HEADER = {"op": 1, "t": "#commit"}


class FirehosePlugin:
    """Serves ``subscribeRepos`` in the test server, unless a built-in plugin already does."""

    @hookimpl(trylast=True)  # after the built-in plugins have registered theirs
    def pds_register_xrpc(self, registry: Any, pds: Any) -> None:
        if SUBSCRIBE_NSID not in pds.methods:
            registry.add(SUBSCRIBE_NSID, subscribe_repos)


@pytest.fixture
async def client(client_factory: Callable[..., Awaitable[Any]]) -> Any:
    return await client_factory(extra_plugins=[("firehose", FirehosePlugin())])


def pds_of(client: Any) -> Pds:
    return get_pds(client.app)


def commit_event(did: str, n: int, *, blocks_bytes: int = 16) -> CommitEvent:
    return CommitEvent(
        did=did,
        commit=Cid.for_dag_cbor(encode({"n": n})),
        rev=f"rev{n:010d}",
        since=None,
        ops=(),
        blocks=bytes(blocks_bytes),
    )


@dataclass(frozen=True)
class Written:
    """A committed event and the frame stored for it."""

    event: CommitEvent
    frame: bytes

    @property
    def seq(self) -> int:
        return self.event.seq


async def write_event(pds: Any, *, did: str = DID, blocks_bytes: int = 16) -> Written:
    """One committed, announced event, as a write path makes it (``pds.event_log``)."""
    async with pds.event_log.unit() as unit, unit.transaction():
        unit.add(commit_event(did, 0, blocks_bytes=blocks_bytes))
    ((event, frame),) = unit.committed
    assert isinstance(event, CommitEvent)
    return Written(event, frame)


async def write_events(pds: Any, count: int, **options: Any) -> list[Written]:
    return [await write_event(pds, **options) for _ in range(count)]


def parse(frame: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    header, body = libipld.decode_dag_cbor_multi(frame)
    return header, body


def seq_of(frame: bytes) -> int:
    header, body = parse(frame)
    assert header == COMMIT_HEADER, header
    seq: int = body["seq"]
    return seq


async def receive(socket: Any) -> bytes:
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        message: bytes = await socket.receive()
        return message


async def receive_seqs(socket: Any, count: int) -> list[int]:
    return [seq_of(await receive(socket)) for _ in range(count)]


async def receive_until_closed(socket: Any) -> list[bytes]:
    received: list[bytes] = []
    try:
        while True:
            received.append(await receive(socket))
    except WebsocketDisconnectError:  # the server closed the socket
        return received


# --- Sequencing ---------------------------------------------------------------------------


async def test_sequence_numbers_increase_one_by_one(client: Any) -> None:
    events = await write_events(pds_of(client), 5)
    assert [event.seq for event in events] == [1, 2, 3, 4, 5]
    assert await RepoEvent.all().order_by("seq").values_list("seq", flat=True) == [1, 2, 3, 4, 5]


async def test_the_frame_carries_seq_and_time_and_is_stored_as_sent(client: Any) -> None:
    before = dt.datetime.now(dt.UTC)
    event = await write_event(pds_of(client))
    header, body = parse(event.frame)
    assert header == COMMIT_HEADER
    assert body["seq"] == event.seq == event.event.seq
    assert body["time"] == event.event.time
    sent_at = Datetime(body["time"]).to_datetime()
    assert before - dt.timedelta(milliseconds=1) <= sent_at <= dt.datetime.now(dt.UTC)
    assert body["time"].endswith("Z") and len(body["time"]) == len("2024-01-01T00:00:00.000Z")
    stored = await RepoEvent.get(seq=event.seq)
    assert (bytes(stored.frame), stored.did, stored.type) == (event.frame, DID, "commit")


async def test_links_in_the_body_are_cbor_links_and_bytes_stay_bytes(client: Any) -> None:
    event = await write_event(pds_of(client), blocks_bytes=40)
    header_length = len(encode(COMMIT_HEADER))
    body = decode(event.frame[header_length:])
    assert body["commit"] == Cid.for_dag_cbor(encode({"n": 0}))
    assert body["blocks"] == bytes(40)


async def test_the_callers_event_is_not_changed(client: Any) -> None:
    pds = pds_of(client)
    event = commit_event(DID, 1)
    async with pds.event_log.unit() as unit, unit.transaction():
        unit.add(event)
    assert (event.seq, event.time) == (0, "")
    assert unit.committed[0][0] == event.stamped(1, unit.committed[0][0].time)


async def test_an_event_that_cannot_be_encoded_is_refused_and_rolled_back(client: Any) -> None:
    pds = pds_of(client)
    with pytest.raises(DataModelError):
        async with pds.event_log.unit() as unit, unit.transaction():
            unit.add(IdentityEvent(did=DID, handle=1.5))  # type: ignore[arg-type]
    assert await RepoEvent.all().count() == 0
    assert unit.committed == []


async def test_concurrent_writers_get_distinct_consecutive_seqs(client: Any) -> None:
    pds = pds_of(client)
    events = await asyncio.gather(*(write_event(pds) for _ in range(20)))
    assert sorted(event.seq for event in events) == list(range(1, 21))


async def test_a_rolled_back_event_leaves_no_gap(client: Any) -> None:
    pds = pds_of(client)
    await write_event(pds)
    with pytest.raises(RuntimeError):
        async with pds.event_log.unit() as unit, unit.transaction():
            unit.add(commit_event(DID, 1))
            await unit.flush()
            raise RuntimeError("the write failed after sequencing")
    assert (await write_event(pds)).seq == 2


# --- Replay and live --------------------------------------------------------------------------


async def test_replay_from_cursor_zero_sends_every_event_in_order(client: Any) -> None:
    await write_events(pds_of(client), 12)
    async with client.websocket(f"{SUBSCRIBE}?cursor=0") as socket:
        assert await receive_seqs(socket, 12) == list(range(1, 13))


async def test_replay_starts_after_the_cursor(client: Any) -> None:
    await write_events(pds_of(client), 6)
    async with client.websocket(f"{SUBSCRIBE}?cursor=4") as socket:
        assert await receive_seqs(socket, 2) == [5, 6]


async def test_replayed_frames_are_the_stored_frames(client: Any) -> None:
    events = await write_events(pds_of(client), 2)
    async with client.websocket(f"{SUBSCRIBE}?cursor=0") as socket:
        assert [await receive(socket), await receive(socket)] == [e.frame for e in events]


async def test_replay_then_live_events_follow(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 3)
    async with client.websocket(f"{SUBSCRIBE}?cursor=1") as socket:
        assert await receive_seqs(socket, 2) == [2, 3]
        await write_events(pds, 2)
        assert await receive_seqs(socket, 2) == [4, 5]


async def test_without_a_cursor_only_new_events_arrive(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 3)
    async with client.websocket(SUBSCRIBE) as socket:
        first = await first_live_seq(pds, socket)
        await write_events(pds, 2)
        assert first > 3
        assert await receive_seqs(socket, 2) == [first + 1, first + 2]


async def first_live_seq(pds: Any, socket: Any) -> int:
    """Write events until a subscriber connected without a cursor gets one."""
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        while True:
            await write_event(pds)
            try:
                async with asyncio.timeout(LIVE_POLL_S):
                    return seq_of(await socket.receive())
            except TimeoutError:
                continue


async def test_replay_and_live_have_no_gap_and_no_duplicate_under_concurrent_writes(
    client: Any,
) -> None:
    pds = pds_of(client)
    total = 300  # the subscriber's replay spans several pages
    writer = asyncio.create_task(write_events(pds, total))
    while await RepoEvent.all().count() < total // 2:
        await asyncio.sleep(0.001)
    async with client.websocket(f"{SUBSCRIBE}?cursor=0") as socket:
        received = await receive_seqs(socket, total)
    await writer
    assert received == list(range(1, total + 1))


async def test_a_cursor_equal_to_the_newest_event_waits_for_new_ones(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 2)
    async with client.websocket(f"{SUBSCRIBE}?cursor=2") as socket:
        await wait_for_subscribers(pds, 1)
        await write_event(pds)
        assert await receive_seqs(socket, 1) == [3]


async def test_a_future_cursor_gets_an_error_frame_and_the_socket_closes(client: Any) -> None:
    await write_events(pds_of(client), 2)
    async with client.websocket(f"{SUBSCRIBE}?cursor=3") as socket:
        messages = await receive_until_closed(socket)
    assert [parse(message) for message in messages] == [
        (
            {"op": -1},
            {"error": "FutureCursor", "message": "Cursor 3 is ahead of the newest event (2)"},
        )
    ]


async def test_an_outdated_cursor_gets_an_info_frame_then_the_oldest_events(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 5)
    await purge_events(older_than=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    async with client.websocket(f"{SUBSCRIBE}?cursor=2") as socket:
        header, body = parse(await receive(socket))
        assert header == {"op": 1, "t": "#info"}
        assert body["name"] == "OutdatedCursor"
        assert await receive_seqs(socket, 1) == [5]


async def test_a_cursor_right_before_the_oldest_event_is_not_outdated(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 5)
    await purge_events(older_than=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    async with client.websocket(f"{SUBSCRIBE}?cursor=4") as socket:
        assert await receive_seqs(socket, 1) == [5]


async def test_events_fan_out_to_every_subscriber(client: Any) -> None:
    pds = pds_of(client)
    cursor_zero = f"{SUBSCRIBE}?cursor=0"
    async with (
        client.websocket(cursor_zero) as first,
        client.websocket(cursor_zero) as second,
        client.websocket(cursor_zero) as third,
    ):
        await wait_for_subscribers(pds, 3)
        await write_events(pds, 3)
        for socket in (first, second, third):
            assert await receive_seqs(socket, 3) == [1, 2, 3]


async def test_a_closed_connection_unregisters_its_subscriber(client: Any) -> None:
    pds = pds_of(client)
    async with client.websocket(SUBSCRIBE):
        await wait_for_subscribers(pds, 1)
    await wait_for_subscribers(pds, 0)


async def test_shutting_the_hub_down_ends_streams_with_an_error_frame(client: Any) -> None:
    pds = pds_of(client)
    async with client.websocket(SUBSCRIBE) as socket:
        await wait_for_subscribers(pds, 1)
        await pds.firehose.stop()
        messages = await receive_until_closed(socket)
    assert parse(messages[-1])[1]["error"] == "ServiceUnavailable"


async def wait_for_subscribers(pds: Any, count: int) -> None:
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        while pds.firehose.subscriber_count != count:
            await asyncio.sleep(0.001)


# --- Retention ------------------------------------------------------------------------------


async def test_the_purger_deletes_events_older_than_the_retention(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 3)
    assert await EventPurger(retention_s=3600).purge() == 0
    await asyncio.sleep(0.01)
    assert await EventPurger(retention_s=0).purge() == 2
    assert await RepoEvent.all().values_list("seq", flat=True) == [3]


async def test_sequence_numbers_keep_growing_after_a_purge(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 3)
    await purge_events(older_than=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert (await write_event(pds)).seq == 4


async def test_the_purger_runs_periodically_once_started(client: Any) -> None:
    pds = pds_of(client)
    await write_events(pds, 3)
    purger = EventPurger(retention_s=0, interval_s=0.01)
    purger.start()
    try:
        async with asyncio.timeout(RECEIVE_TIMEOUT_S):
            while await RepoEvent.all().count() > 1:
                await asyncio.sleep(0.01)
    finally:
        await purger.stop()


# --- The event stream itself, without a WebSocket -------------------------------------------


async def test_a_live_event_beyond_a_gap_first_gets_the_gap_from_the_log(client: Any) -> None:
    pds = pds_of(client)
    await write_event(pds)
    frames = follow_events(pds.firehose, cursor=0)
    assert seq_of(await anext(frames)) == 1
    following = asyncio.ensure_future(anext(frames))
    await asyncio.sleep(0)  # now waiting for live events
    async with pds.event_log.unit() as late:
        async with late.transaction():
            late.add(commit_event(DID, 2))
        await write_event(pds)  # seq 3 is announced before seq 2
        assert seq_of(await following) == 2
        assert seq_of(await anext(frames)) == 3
    # seq 2 is announced now: late, and already sent
    await write_event(pds)
    assert seq_of(await anext(frames)) == 4
    await frames.aclose()


async def test_falling_behind_while_catching_up_is_not_too_slow(client: Any) -> None:
    pds = pds_of(client)
    hub = FirehoseHub(queue_max_events=SMALL_QUEUE_EVENTS)
    await hub.start(pds.cache)
    writer = SimpleNamespace(event_log=EventLog(pds.database, hub))
    stored, written_later = 10, 3 * SMALL_QUEUE_EVENTS
    await write_events(writer, stored)
    frames = follow_events(hub, cursor=0, page_size=3)
    try:
        received = [seq_of(await anext(frames))]
        async with HubSubscription(hub, written_later) as probe:
            await write_events(writer, written_later)  # overflows the stream's live queue
            while (await probe.get()).seq < stored + written_later:
                pass
        while len(received) < stored + written_later:
            received.append(seq_of(await anext(frames)))
    finally:
        await frames.aclose()
        await hub.stop()
    assert received == list(range(1, stored + written_later + 1))


async def test_a_live_subscriber_that_falls_behind_is_too_slow(cache: Cache) -> None:
    hub = FirehoseHub(queue_max_events=SMALL_QUEUE_EVENTS)
    await hub.start(cache)
    try:
        async with hub.subscribe() as live:
            for seq in range(1, SMALL_QUEUE_EVENTS + 2):
                await hub.publish(EventFrame(seq, b"frame"))
            await wait_until(lambda: live.overflowed)
            with pytest.raises(ConsumerTooSlow):
                await live.get()
    finally:
        await hub.stop()


async def test_losing_the_hub_subscription_interrupts_subscribers_and_resubscribes() -> None:
    cache = MemoryCache(max_queued_messages=1)  # the hub's own subscription overflows
    hub = FirehoseHub()
    await hub.start(cache)
    try:
        async with hub.subscribe() as live:
            for seq in (1, 2, 3):
                await cache.publish(EVENTS_CHANNEL, encode_notification(EventFrame(seq, b"")))
            with pytest.raises(StreamInterrupted):
                await live.get()
        async with asyncio.timeout(RECEIVE_TIMEOUT_S):
            while True:
                try:
                    async with hub.subscribe() as again:
                        await hub.publish(EventFrame(4, b"four"))
                        assert await again.get() == EventFrame(4, b"four")
                        break
                except StreamInterrupted:  # not subscribed again yet
                    await asyncio.sleep(0.01)
    finally:
        await hub.stop()
        await cache.close()


async def test_events_published_through_one_hub_reach_the_subscribers_of_another(
    cache_factory: Callable[[str], Cache],
) -> None:
    first_cache = cache_factory("")
    # Two processes share Redis; in one process, hubs share the in-process cache.
    second_cache = cache_factory("") if isinstance(first_cache, RedisCache) else first_cache
    first, second = FirehoseHub(), FirehoseHub()
    await first.start(first_cache)
    await second.start(second_cache)
    try:
        async with second.subscribe() as live:
            await first.publish(EventFrame(1, b"one"))
            await second.publish(EventFrame(2, b"two"))
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                assert [await live.get(), await live.get()] == [
                    EventFrame(1, b"one"),
                    EventFrame(2, b"two"),
                ]
    finally:
        await first.stop()
        await second.stop()


async def test_events_written_by_another_process_reach_websocket_subscribers(
    client: Any,
) -> None:
    pds = pds_of(client)
    settings = pds.settings
    if settings.redis_url is None:
        pytest.skip("processes share events through Redis only")
    other_cache = RedisCache(settings.redis_url, key_prefix=settings.redis_key_prefix)
    other_hub = FirehoseHub()
    await other_hub.start(other_cache)
    other_process = SimpleNamespace(event_log=EventLog(pds.database, other_hub))
    try:
        async with client.websocket(f"{SUBSCRIBE}?cursor=0") as socket:
            await wait_for_subscribers(pds, 1)
            await write_event(pds)
            await write_event(other_process)
            await write_event(pds)
            assert await receive_seqs(socket, 3) == [1, 2, 3]
    finally:
        await other_hub.stop()
        await other_cache.close()


async def wait_until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        while not condition():
            await asyncio.sleep(0.001)


# --- A real server and a client that stops reading -------------------------------------------

SMALL_SOCKET_BUFFER_BYTES = 4096
LARGE_BLOCKS_BYTES = 64 * 1024
EVENTS_TO_FILL_BUFFERS = 50
#: Most events written while waiting for a stalled subscriber to be closed as too slow: the
#: kernel's loopback send buffer (autotuned up to tcp_wmem's maximum, 4 MiB by default) may
#: take all of EVENTS_TO_FILL_BUFFERS before the server's queue overflows.
EVENTS_TO_OVERFLOW_MAX = 600
READ_CHUNK_BYTES = 65536


Served = Callable[[Settings], AbstractAsyncContextManager[tuple[Pds, int]]]


@pytest.fixture
def served(
    serve_in_process: Callable[..., AbstractAsyncContextManager[tuple[Pds, int]]],
) -> Served:
    """``async with served(settings) as (pds, port)``: served with the firehose plugin.

    Accepted connections get a small send buffer, so a client that stops reading soon
    blocks the server's sends.
    """

    def serve(settings: Settings) -> AbstractAsyncContextManager[tuple[Pds, int]]:
        return serve_in_process(
            settings,
            extra_plugins=[("firehose", FirehosePlugin())],
            send_buffer_bytes=SMALL_SOCKET_BUFFER_BYTES,
        )

    return serve


class RawSubscriber:
    """A WebSocket client that reads only when told to (wsproto over a small TCP buffer)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.protocol = WSConnection(ConnectionType.CLIENT)

    @classmethod
    async def connect(cls, port: int, target: str) -> RawSubscriber:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_SOCKET_BUFFER_BYTES)
        raw.setblocking(False)
        await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", port))
        subscriber = cls(*await asyncio.open_connection(sock=raw))
        subscriber.writer.write(subscriber.protocol.send(Request(host="127.0.0.1", target=target)))
        async with asyncio.timeout(RECEIVE_TIMEOUT_S):
            while not any(isinstance(event, AcceptConnection) for event in await subscriber.read()):
                pass
        return subscriber

    async def read(self) -> list[Any]:
        self.protocol.receive_data(await self.reader.read(READ_CHUNK_BYTES) or None)
        return list(self.protocol.events())

    async def messages_until_closed(self) -> list[bytes]:
        messages: list[bytes] = []
        partial = b""
        async with asyncio.timeout(RECEIVE_TIMEOUT_S):
            while True:
                for event in await self.read():
                    if isinstance(event, CloseConnection):
                        return messages
                    if isinstance(event, BytesMessage):
                        partial += event.data
                        if event.message_finished:
                            messages.append(partial)
                            partial = b""

    def close(self) -> None:
        self.writer.close()


async def test_a_subscriber_that_stops_reading_is_closed_as_too_slow(
    settings_factory: Callable[..., Settings], served: Served
) -> None:
    settings = settings_factory(sync={"firehose_queue_max_events": SMALL_QUEUE_EVENTS})
    async with served(settings) as (pds, port):
        subscriber = await RawSubscriber.connect(port, f"{SUBSCRIBE}?cursor=0")
        try:
            await wait_for_subscribers(pds, 1)
            written = 0
            while pds.firehose.subscriber_count and written < EVENTS_TO_OVERFLOW_MAX:
                await write_events(pds, 1, blocks_bytes=LARGE_BLOCKS_BYTES)
                written += 1
            messages = await subscriber.messages_until_closed()
        finally:
            subscriber.close()
    header, body = parse(messages[-1])
    assert (header, body["error"]) == ({"op": -1}, "ConsumerTooSlow")
    sent = [seq_of(message) for message in messages[:-1]]
    assert sent == list(range(1, len(sent) + 1))
    assert len(sent) < written


async def test_a_subscriber_that_reads_nothing_is_dropped_and_its_memory_returned(
    settings_factory: Callable[..., Settings], served: Served
) -> None:
    settings = settings_factory(server={"send_timeout_s": 0.5})
    async with served(settings) as (pds, port):
        subscriber = await RawSubscriber.connect(port, SUBSCRIBE)
        try:
            await wait_for_subscribers(pds, 1)
            subscription = weakref.ref(pds.firehose.subscriptions[0])
            # Far fewer events than the queue holds: only the stalled sends can end it.
            await write_events(pds, EVENTS_TO_FILL_BUFFERS, blocks_bytes=LARGE_BLOCKS_BYTES)
            await wait_for_subscribers(pds, 0)  # the client never read a byte
            gc.collect()
            assert subscription() is None
        finally:
            subscriber.close()


async def test_websocket_subscribers_are_pinged(
    settings_factory: Callable[..., Settings], served: Served
) -> None:
    settings = settings_factory(server={"websocket_ping_interval_s": 0.05})
    async with served(settings) as (_pds, port):
        subscriber = await RawSubscriber.connect(port, SUBSCRIBE)
        try:
            async with asyncio.timeout(RECEIVE_TIMEOUT_S):
                while not any(isinstance(event, Ping) for event in await subscriber.read()):
                    pass
        finally:
            subscriber.close()


async def refused_subscription(client: Any) -> dict[str, Any]:
    async with client.websocket(SUBSCRIBE) as refused:
        messages = await receive_until_closed(refused)
    assert len(messages) == 1
    header, body = parse(messages[0])
    assert header == {"op": -1}
    return body


@pytest.mark.parametrize(
    ("sync", "refusal"),
    [
        ({"firehose_max_subscribers_per_ip": 2}, "already has 2 firehose subscriptions"),
        ({"firehose_max_subscribers": 2}, "already has 2 firehose subscribers"),
    ],
)
async def test_subscribers_over_a_cap_are_refused_until_one_leaves(
    client_factory: Callable[..., Awaitable[Any]],
    settings_factory: Callable[..., Settings],
    sync: dict[str, int],
    refusal: str,
) -> None:
    client = await client_factory(
        settings_factory(sync=sync), extra_plugins=[("firehose", FirehosePlugin())]
    )
    pds = pds_of(client)
    async with client.websocket(SUBSCRIBE):
        async with client.websocket(SUBSCRIBE):
            await wait_for_subscribers(pds, 2)
            body = await refused_subscription(client)
            assert body["error"] == "RateLimitExceeded"
            assert refusal in body["message"]
        await wait_for_subscribers(pds, 1)
        async with client.websocket(f"{SUBSCRIBE}?cursor=0") as again:
            await write_event(pds)
            assert await receive_seqs(again, 1) == [1]


def test_a_subscription_queue_is_bounded_in_bytes_too() -> None:
    hub = FirehoseHub(queue_max_events=100, queue_max_bytes=10)
    subscription = hub.subscribe()
    subscription.deliver(EventFrame(1, b"x" * 6))
    assert (subscription.queued_bytes, subscription.overflowed) == (6, False)
    subscription.deliver(EventFrame(2, b"x" * 6))
    assert (subscription.queued_bytes, subscription.overflowed) == (0, True)
