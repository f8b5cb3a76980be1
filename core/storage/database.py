"""``Database``: the one tortoise database of a PDS process.

Tortoise keeps its connections and model registry in a process-wide context, so one
``Database`` may be open per process at a time; :meth:`Database.close` undoes all of it,
after which another (even with a different URL) may open. The context is installed as
tortoise's global fallback, so models work from every task, not only the one that
called :meth:`Database.connect`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import warnings
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar, Final

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.exceptions import BaseORMException
from tortoise.transactions import in_transaction

from exprsn_pds.storage.apps import CONNECTION_NAME, ModelApp, tortoise_apps_config
from exprsn_pds.storage.columns import guard_columns
from exprsn_pds.storage.locks import migration_lock
from exprsn_pds.storage.migrate import apply_migrations
from exprsn_pds.storage.snapshots import DEFAULT_SNAPSHOTS_MAX, ReadSnapshots
from exprsn_pds.storage.urls import (
    DEFAULT_BUSY_TIMEOUT_MS,
    DEFAULT_POOL_MAX_SIZE,
    SQLITE_MEMORY,
    database_url_to_tortoise,
    dialect_of,
)

NO_MODELS_APP: Final = ModelApp(label="_no_models", models=["exprsn_pds.storage.no_models"])
DEFAULT_PING_TIMEOUT_S: Final = 2.0
PING_QUERY: Final = "SELECT 1"
UNREACHABLE_ERRORS: Final = (
    OSError,
    TimeoutError,
    BaseORMException,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
)


class Database:
    """A SQLite or PostgreSQL database holding the models of ``apps`` (possibly none).

    ``url`` is parsed by :func:`~exprsn_pds.storage.urls.database_url_to_tortoise`
    (relative SQLite paths resolve against ``data_directory``); ``pool_max_size`` bounds
    the PostgreSQL pool, ``busy_timeout_ms`` the SQLite lock wait, ``ping_timeout_s``
    how long :meth:`ping` waits for an answer and ``snapshot_pool_max_size`` how many
    :meth:`read_snapshot` s may be open at once.
    """

    _open: ClassVar[Database | None] = None

    def __init__(
        self,
        url: str,
        apps: Sequence[ModelApp],
        data_directory: Path,
        *,
        pool_max_size: int = DEFAULT_POOL_MAX_SIZE,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        ping_timeout_s: float = DEFAULT_PING_TIMEOUT_S,
        snapshot_pool_max_size: int = DEFAULT_SNAPSHOTS_MAX,
    ) -> None:
        self._connection_config = database_url_to_tortoise(
            url, data_directory, pool_max_size=pool_max_size, busy_timeout_ms=busy_timeout_ms
        )
        self._dialect: str = dialect_of(self._connection_config)
        self._apps = tuple(apps)
        self._apps_config = tortoise_apps_config(self._apps)
        self._ping_timeout_s = ping_timeout_s
        self._context: TortoiseContext | None = None
        self._client: BaseDBAsyncClient | None = None
        self._snapshots = ReadSnapshots(self._connection_config, snapshot_pool_max_size)

    def __repr__(self) -> str:
        return f"<Database {self.dialect} apps={[app.label for app in self._apps]}>"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return self._dialect

    async def connect(self) -> None:
        """Set tortoise up for this database; the first query opens the connection."""
        if Database._open is not None:
            raise RuntimeError("another Database is open in this process; close it first")
        self._create_sqlite_directory()
        context = TortoiseContext()
        try:
            # Current while it loads the models, then the global fallback for every task.
            with context, warnings.catch_warnings():
                # The stand-in app used while no app has models warns that it has none.
                warnings.filterwarnings("ignore", "Module .*no_models.* has no models")
                await context.init(config=self._tortoise_config(), _enable_global_fallback=True)
        except BaseException:
            await context.close_connections()
            raise
        if context.apps is not None:
            guard_columns(context.apps.get_models_iterable())
        self._context = context
        # Taken now, while no transaction is open: tortoise's own lookup answers the open
        # transaction's client inside one.
        self._client = context.db(CONNECTION_NAME)
        Database._open = self

    @property
    def client(self) -> BaseDBAsyncClient:
        """The database's own client, never an open transaction's: for queries outside one.

        Inside a transaction, queries are given its connection instead (see
        :meth:`transaction`); a query on this client there would not see the
        transaction's writes.
        """
        if self._client is None:
            raise RuntimeError("the database is not connected; call connect() first")
        return self._client

    async def migrate(self) -> list[str]:
        """Apply every app's pending migrations; returns them as ``"<label>.<name>"``.

        On PostgreSQL, processes sharing the database migrate one at a time. Raises
        :class:`~exprsn_pds.storage.migrate.MissingMigrations` when an app has no
        migrations.
        """
        async with migration_lock(self._connection_config):
            applied: list[str] = await apply_migrations(self.client, self._apps)
        return applied

    async def ping(self) -> bool:
        """Whether ``SELECT 1`` answers within ``ping_timeout_s`` (False when closed)."""
        if self._client is None:
            return False
        try:
            async with asyncio.timeout(self._ping_timeout_s):
                await self._client.execute_query(PING_QUERY)
        except UNREACHABLE_ERRORS:
            return False
        return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BaseDBAsyncClient]:
        """A transaction on the database: committed on exit, rolled back on an exception.

        Every query inside the block is given the yielded connection (store functions as
        their first argument, ORM queries ``using_db``); nothing finds it implicitly.
        """
        if self._client is None:
            raise RuntimeError("the database is not connected; call connect() first")
        async with in_transaction(CONNECTION_NAME) as client:
            yield client

    @asynccontextmanager
    async def read_snapshot(self) -> AsyncIterator[BaseDBAsyncClient]:
        """A read-only client whose every query sees one committed state of the database.

        Commits made meanwhile are invisible to it, and it takes no lock a writer waits
        for (see :mod:`exprsn_pds.storage.snapshots`); pass the client to the queries.
        Meant for reads that must agree with each other across many queries, such as
        a repo export.
        """
        async with self._snapshots.snapshot(self.client) as client:
            yield client

    async def close(self) -> None:
        """Close the connections and forget the models, so another Database may open."""
        context, self._context, self._client = self._context, None, None
        if context is None:
            return
        try:
            try:
                await self._snapshots.close()
            finally:
                await context.close_connections()
        finally:
            _forget_prepared_statements()
            if context.apps is not None:
                for model in context.apps.get_models_iterable():
                    model._meta.default_connection = None
                context.apps.clear()
            Database._open = None

    def _tortoise_config(self) -> dict[str, Any]:
        return {
            "connections": {CONNECTION_NAME: self._connection_config},
            "apps": self._apps_config or tortoise_apps_config([NO_MODELS_APP]),
            "use_tz": True,
            "timezone": "UTC",
        }

    def _create_sqlite_directory(self) -> None:
        if self.dialect != "sqlite":
            return
        file_path = self._connection_config["credentials"]["file_path"]
        if file_path != SQLITE_MEMORY:
            Path(file_path).parent.mkdir(parents=True, exist_ok=True)


def _forget_prepared_statements() -> None:
    # Tortoise caches each model's INSERT/DELETE SQL process-wide, keyed by connection
    # name but not dialect; a later Database of another dialect must not reuse them.
    for key in [key for key in EXECUTOR_CACHE if key[0] == CONNECTION_NAME]:
        del EXECUTOR_CACHE[key]
