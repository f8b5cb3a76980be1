"""``com.atproto.sync.subscribeRepos``: the firehose of this server's repo events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from exprsn_pds import (
    ConsumerTooSlow,
    FutureCursor,
    InvalidRequest,
    RateLimitExceeded,
    ServiceUnavailable,
    StreamInterrupted,
    TooManySubscribers,
    XrpcContext,
    follow_events,
)


async def subscribe_repos(ctx: XrpcContext) -> AsyncGenerator[bytes, None]:
    """Stored events after ``cursor`` (none without one), then live events, as frames.

    A cursor past the newest event ends with a ``FutureCursor`` error frame, a consumer
    that falls too far behind with ``ConsumerTooSlow``; an interrupted live feed ends the
    stream with ``ServiceUnavailable``, and the client reconnects with its last cursor.
    A subscriber over the caps (per IP, or in total) gets ``RateLimitExceeded`` at once.
    """
    events = follow_events(
        ctx.pds.firehose, cursor=ctx.params.get("cursor"), client=ctx.client_ip
    )
    try:
        async with aclosing(events):
            async for frame in events:
                yield frame
    except FutureCursor as error:
        raise InvalidRequest(str(error), error="FutureCursor") from error
    except ConsumerTooSlow as error:
        raise InvalidRequest(str(error), error="ConsumerTooSlow") from error
    except TooManySubscribers as error:
        raise RateLimitExceeded(str(error)) from error
    except StreamInterrupted as error:
        raise ServiceUnavailable(str(error)) from error
