"""Read snapshots: read-only transactions that see one committed state, however long they last.

A repo export streams for as long as its client takes to read it, while commits land on
the same repo and drop the blocks they replace. Reading it inside one snapshot makes it
one commit's blocks from start to end, and costs writers nothing:

* **SQLite** (WAL): a read transaction on a connection of its own sees the database as
  it was at its first read, and never blocks a writer (in WAL mode readers and the one
  writer do not wait for each other). It must not be the shared connection: tortoise
  runs every query of the process on that one, and a transaction on it holds it for its
  whole length. While a snapshot is open, checkpoints cannot reset the WAL file past it,
  so the WAL grows by what is written meanwhile and shrinks at the next checkpoint.
  An in-memory database has no second connection: its snapshots hold the shared one
  (writers wait; such databases are for tests and throwaway tools).
* **PostgreSQL**: a ``REPEATABLE READ, READ ONLY`` transaction sees the snapshot taken
  at its first query and takes no lock a writer waits for. Snapshots use a pool of their
  own, so slow readers never take the writers' connections.

At most ``max_open`` snapshots are open at once per process (each holds a connection);
more wait for one to end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Final

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper

from exprsn_pds.storage.urls import SQLITE_ENGINE, SQLITE_MEMORY

SNAPSHOT_CONNECTION_NAME: Final = "read_snapshot"
DEFAULT_SNAPSHOTS_MAX: Final = 4
POSTGRES_SNAPSHOT: Final = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


class ReadSnapshots:
    """Opens read snapshots of the database ``connection_config`` describes.

    ``shared`` answers the process's shared tortoise client (used only by an in-memory
    SQLite database, which no other connection can see).
    """

    def __init__(
        self, connection_config: dict[str, Any], max_open: int = DEFAULT_SNAPSHOTS_MAX
    ) -> None:
        self._engine: str = connection_config["engine"]
        self._credentials: dict[str, Any] = dict(connection_config["credentials"])
        self._max_open = max_open
        self._slots = asyncio.Semaphore(max_open)
        self._idle: list[SqliteClient] = []
        self._postgres: AsyncpgDBClient | None = None
        self._postgres_lock = asyncio.Lock()

    @property
    def in_memory(self) -> bool:
        """Whether the database is an in-memory SQLite one (snapshots hold the shared
        connection)."""
        return self._engine == SQLITE_ENGINE and self._credentials["file_path"] == SQLITE_MEMORY

    @contextlib.asynccontextmanager
    async def snapshot(self, shared: BaseDBAsyncClient) -> AsyncIterator[BaseDBAsyncClient]:
        """A read-only client whose queries all see one committed state of the database.

        The client is not the task's current connection: pass it to the queries
        (:mod:`exprsn_pds.storage.sql` functions take the client to run on).
        """
        async with self._slots:
            if self.in_memory:
                snapshot = _shared_sqlite_snapshot(shared)
            elif self._engine == SQLITE_ENGINE:
                snapshot = self._sqlite_snapshot()
            else:
                snapshot = self._postgres_snapshot()
            async with snapshot as client:
                yield client

    async def close(self) -> None:
        """Close every snapshot connection (none may be open)."""
        idle, self._idle = self._idle, []
        for client in idle:
            await client.close()
        postgres, self._postgres = self._postgres, None
        if postgres is not None:
            await postgres.close()

    @contextlib.asynccontextmanager
    async def _sqlite_snapshot(self) -> AsyncIterator[BaseDBAsyncClient]:
        client = self._idle.pop() if self._idle else await self._sqlite_connection()
        transaction = SqliteTransactionWrapper(client)
        reusable = False
        try:
            await transaction.begin()
            yield transaction
            await transaction.rollback()
            reusable = True
        finally:
            if reusable and len(self._idle) < self._max_open:
                self._idle.append(client)
            else:
                await client.close()

    async def _sqlite_connection(self) -> SqliteClient:
        # The file's journal mode is WAL already (the shared connection set it); a
        # snapshot connection only reads.
        client = SqliteClient(
            connection_name=SNAPSHOT_CONNECTION_NAME, **self._credentials, query_only="ON"
        )
        await client.create_connection(with_db=True)
        return client

    @contextlib.asynccontextmanager
    async def _postgres_snapshot(self) -> AsyncIterator[BaseDBAsyncClient]:
        pool_client = await self._postgres_pool()
        pool = pool_client._pool
        assert pool is not None
        transaction = TransactionWrapper(pool_client)
        # What tortoise's own pooled transaction does: the wrapper runs on one connection.
        transaction._connection = await pool.acquire()
        try:
            await transaction.begin()
            await transaction.execute_script(POSTGRES_SNAPSHOT)
            try:
                yield transaction
            finally:
                await transaction.rollback()
        finally:
            await pool.release(transaction._connection)

    async def _postgres_pool(self) -> AsyncpgDBClient:
        async with self._postgres_lock:
            if self._postgres is None:
                credentials = {**self._credentials, "minsize": 0, "maxsize": self._max_open}
                client = AsyncpgDBClient(connection_name=SNAPSHOT_CONNECTION_NAME, **credentials)
                await client.create_connection(with_db=True)
                self._postgres = client
            return self._postgres


@contextlib.asynccontextmanager
async def _shared_sqlite_snapshot(shared: BaseDBAsyncClient) -> AsyncIterator[BaseDBAsyncClient]:
    assert isinstance(shared, SqliteClient)
    # The shared connection's lock is what tortoise's own transactions hold on it.
    async with shared._lock:
        await shared.create_connection(with_db=True)
        transaction = SqliteTransactionWrapper(shared)
        await transaction.begin()
        try:
            yield transaction
        finally:
            await transaction.rollback()
