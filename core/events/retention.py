"""``EventPurger``: keeps the event log to its retention window (the firehose backfill)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Final

from exprsn_pds.events.store import purge_events
from exprsn_pds.logs import get_logger
from exprsn_pds.tasks import stop_task

DEFAULT_RETENTION_S: Final = 72 * 3600.0
DEFAULT_PURGE_INTERVAL_S: Final = 3600.0

log = get_logger(__name__)


class EventPurger:
    """Deletes events older than ``retention_s``, every ``interval_s`` once started.

    Several processes sharing a database may each run one: purging is idempotent.
    """

    def __init__(
        self,
        *,
        retention_s: float = DEFAULT_RETENTION_S,
        interval_s: float = DEFAULT_PURGE_INTERVAL_S,
    ) -> None:
        if retention_s < 0 or interval_s <= 0:
            raise ValueError("retention_s must be >= 0 and interval_s > 0")
        self._retention = dt.timedelta(seconds=retention_s)
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def purge(self) -> int:
        """Delete the events older than the retention window now; returns how many."""
        cutoff = dt.datetime.now(dt.UTC) - self._retention
        deleted = await purge_events(older_than=cutoff)
        if deleted:
            log.info("purged old events", deleted=deleted, older_than=cutoff.isoformat())
        return deleted

    def start(self) -> None:
        """Purge now and then every ``interval_s``, in the background."""
        if self._task is not None:
            raise RuntimeError("the event purger is already started")
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop purging."""
        task, self._task = self._task, None
        await stop_task(task)

    async def _run(self) -> None:
        while True:
            try:
                await self.purge()
            except Exception:  # e.g. the database is briefly unreachable; try next time
                log.exception("purging old events failed")
            await asyncio.sleep(self._interval_s)
