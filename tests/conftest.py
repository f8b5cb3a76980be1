"""Shared fixtures of the test suite."""

from __future__ import annotations

import asyncio
import base64
import copy
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import pytest
import redis.asyncio
import redis.exceptions

from exprsn_pds.app import create_app
from exprsn_pds.cache import Cache, create_cache
from exprsn_pds.config import Settings, load_settings

# --- Backends: databases and caches -----------------------------------------------------
#
# ``database_url`` (ids "sqlite", "postgres") and ``cache`` (ids "memory", "redis") run a
# test once per backend. PostgreSQL and Redis come from the environment (defaults: a
# local server). When one is unreachable its runs are skipped, or fail when
# PDS_TEST_REQUIRE_SERVICES=1 (CI), so a CI without services cannot pass silently.

REQUIRE_SERVICES_ENV = "PDS_TEST_REQUIRE_SERVICES"
POSTGRES_URL_ENV = "PDS_TEST_POSTGRES_URL"
REDIS_URL_ENV = "PDS_TEST_REDIS_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SERVICE_PROBE_TIMEOUT_S = 5.0
TEST_DATABASE_PREFIX = "exprsn_test_"
TEST_KEY_PREFIX = "exprsn-test:"

CacheFactory = Callable[[str], Cache]
T = TypeVar("T")


async def reach_service(service: str, env_var: str, attempt: Awaitable[T]) -> T:
    """``attempt``'s result; if the service is unreachable, skip the test (fail in CI)."""
    try:
        async with asyncio.timeout(SERVICE_PROBE_TIMEOUT_S):
            return await attempt
    except (OSError, TimeoutError, asyncpg.PostgresError, redis.exceptions.RedisError) as error:
        message = f"{service} ({env_var}) is unreachable: {type(error).__name__}: {error}"
        if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
            pytest.fail(f"{message}; {REQUIRE_SERVICES_ENV}=1 requires it", pytrace=False)
        pytest.skip(message)


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A throw-away PostgreSQL database, dropped on exit; its URL."""
    maintenance_url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    maintenance = await reach_service(
        "PostgreSQL", POSTGRES_URL_ENV, asyncpg.connect(maintenance_url)
    )
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex}"
    try:
        await maintenance.execute(f'CREATE DATABASE "{name}"')
        yield urlsplit(maintenance_url)._replace(path=f"/{name}").geturl()
        await maintenance.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await maintenance.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'pds.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
async def cache_factory(request: pytest.FixtureRequest) -> AsyncIterator[CacheFactory]:
    """Makes caches of one backend; Redis ones get ``key_prefix`` under a per-test prefix.

    Every cache made is closed afterwards, and the test's Redis keys deleted.
    """
    redis_url = None
    test_prefix = f"{TEST_KEY_PREFIX}{uuid.uuid4().hex}:"
    if request.param == "redis":
        redis_url = os.environ.get(REDIS_URL_ENV, DEFAULT_REDIS_URL)
    made: list[Cache] = []

    def make(key_prefix: str) -> Cache:
        made.append(create_cache(redis_url, key_prefix=f"{test_prefix}{key_prefix}"))
        return made[-1]

    if redis_url is None:
        yield make
    else:
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            await reach_service("Redis", REDIS_URL_ENV, client.ping())
            yield make
            async for key in client.scan_iter(match=f"{test_prefix}*"):
                await client.delete(key)
        finally:
            await client.aclose()
    for cache in made:
        await cache.close()


@pytest.fixture
def cache(cache_factory: CacheFactory) -> Cache:
    """An empty cache: in-process, or Redis under a key prefix of its own."""
    return cache_factory("")


# --- End of backends ----------------------------------------------------------------------


# --- The application ------------------------------------------------------------------------
#
# ``settings_factory(**sections)`` makes settings isolated from the environment (no PDS_*
# variable leaks in), with only the built-in plugins enabled and output validation on.
# ``client_factory(settings=None, extra_plugins=())`` starts an app (lifespan included)
# and returns its test client. Both run once per backend pair: SQLite + in-process cache
# and PostgreSQL + Redis.

ADMIN_PASSWORD = "test-admin-password"
JWT_SECRET = "test-jwt-secret-" + "x" * 32
BUILT_IN_PLUGINS = ["server"]


@pytest.fixture(params=["sqlite+memory", "postgres+redis"])
async def backend_config(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
    """Config sections selecting one backend pair (database URL unset = SQLite default)."""
    if request.param == "sqlite+memory":
        yield {}
        return
    redis_url = os.environ.get(REDIS_URL_ENV, DEFAULT_REDIS_URL)
    client = redis.asyncio.Redis.from_url(redis_url)
    prefix = f"{TEST_KEY_PREFIX}{uuid.uuid4().hex}:"
    try:
        await reach_service("Redis", REDIS_URL_ENV, client.ping())
        async with fresh_postgres_database() as database:
            yield {"database": {"url": database}, "redis": {"url": redis_url, "key_prefix": prefix}}
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@pytest.fixture
def settings_factory(tmp_path: Path, backend_config: dict[str, Any]) -> Callable[..., Settings]:
    """``make(**sections)``: test settings with the given config sections merged in."""

    def make(**sections: Any) -> Settings:
        base = {
            "server": {"data_directory": str(tmp_path / "data")},
            "secrets": {"admin_password": ADMIN_PASSWORD, "jwt_secret": JWT_SECRET},
            "plugins": {"enabled": BUILT_IN_PLUGINS},
            "xrpc": {"validate_output": True},
        }
        return load_settings(environ={}, overrides=_merge(_merge(base, backend_config), sections))

    return make


@pytest.fixture
async def client_factory(
    settings_factory: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await make(settings=None, extra_plugins=())``: a started app's test client."""
    async with AsyncExitStack() as stack:

        async def make(
            settings: Settings | None = None, extra_plugins: Iterable[tuple[str, object]] = ()
        ) -> Any:
            app = create_app(settings or settings_factory(), extra_plugins=extra_plugins)
            test_app = await stack.enter_async_context(app.test_app())
            return test_app.test_client()

        yield make


@pytest.fixture
def admin_headers() -> dict[str, str]:
    """HTTP Basic credentials of the test admin."""
    token = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
