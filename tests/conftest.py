"""Shared fixtures of the test suite."""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, urlsplit

import asyncpg
import httpx
import pytest
import redis.asyncio
import redis.exceptions
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from hypercorn.asyncio import serve as serve_app
from quart import Quart
from quart.testing import TestApp

from exprsn_pds.accounts.models import Account
from exprsn_pds.app import create_app, get_pds
from exprsn_pds.cache import Cache, create_cache
from exprsn_pds.config import Settings, load_settings
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.pds import Pds
from exprsn_pds.ratelimit import RateLimiter
from exprsn_pds.serving import hypercorn_config, listen
from exprsn_pds.storage import Database
from exprsn_pds.tokens import ACCESS_TYP, Scope
from exprsn_pds.tokens import mint as mint_token

APP_START_TIMEOUT_S = 60
"""How long a test app may take to start or stop (Quart's default is 6 s). A start on
PostgreSQL migrates every table; on a loaded 2-core machine it has passed 6 s, which failed
a test for no fault of its own."""
Quart.test_app_class = functools.partial(
    TestApp, startup_timeout=APP_START_TIMEOUT_S, shutdown_timeout=APP_START_TIMEOUT_S
)

# --- Reference material --------------------------------------------------------------------
#
# The interop vectors and the official lexicons live in ``shared/`` beside the checkout.
# A fresh clone elsewhere (``git clone . /tmp/x``, as CI does) finds them beside the
# checkout it was cloned from. Test modules read the folder from ``PDS_SHARED_DIR``, which
# a caller may also set.

SHARED_DIR_ENV = "PDS_SHARED_DIR"



def _shared_folder() -> Path:
    checkout = Path(__file__).resolve().parents[1]
    candidates = [checkout.parent / "shared"]
    origin = subprocess.run(
        ["git", "-C", str(checkout), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        candidates.append(Path(origin).resolve().parent / "shared")
    return next((path for path in candidates if (path / "interop").is_dir()), candidates[0])


os.environ.setdefault(SHARED_DIR_ENV, str(_shared_folder()))


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
        unavailable(f"{service} ({env_var}) is unreachable: {type(error).__name__}: {error}")


def unavailable(message: str) -> NoReturn:
    """Skip the test for want of ``message``'s service; fail it in CI (services required)."""
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_SERVICES_ENV}=1 requires it", pytrace=False)
    pytest.skip(message)


INTEROP_FOLDER = Path(__file__).resolve().parent / "interop"


@pytest.fixture(scope="session")
def interop_node() -> Path:
    """``tests/interop``, where node runs the official npm packages (``npm ci``).

    Without node or the packages the tests that need them are skipped, or fail in CI.
    """
    if shutil.which("node") is None or not (INTEROP_FOLDER / "node_modules").is_dir():
        unavailable("node and tests/interop/node_modules (npm ci) are needed")
    return INTEROP_FOLDER


_migrated_template: str | None = None
"""The name of this test session's migrated PostgreSQL template (see
:func:`fresh_postgres_database`), once made."""


async def _template(maintenance: asyncpg.Connection, maintenance_url: str) -> str:
    """A database every built-in app's migrations were applied to, made once per session
    (and dropped at its end): a copy of it starts an app in a fraction of the seconds that
    migrating an empty PostgreSQL database takes."""
    global _migrated_template
    if _migrated_template is None:
        name = f"{TEST_DATABASE_PREFIX}template_{uuid.uuid4().hex}"
        await maintenance.execute(f'CREATE DATABASE "{name}"')
        url = urlsplit(maintenance_url)._replace(path=f"/{name}").geturl()
        with tempfile.TemporaryDirectory() as folder:
            settings = load_settings(
                environ={},
                overrides={
                    "server": {"data_directory": folder},
                    "secrets": {"admin_password": ADMIN_PASSWORD, "jwt_secret": JWT_SECRET},
                    "plugins": {"enabled": [*BUILT_IN_PLUGINS, "appview"]},
                    "database": {"url": url},
                },
            )
            database = Database(url, Pds(settings).model_apps, Path(folder))
            await database.connect()
            try:
                await database.migrate()
            finally:
                await database.close()
        _migrated_template = name
    return _migrated_template


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the session's PostgreSQL template, if one was made."""
    if _migrated_template is None:
        return

    async def drop(name: str) -> None:
        url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
        maintenance = await asyncpg.connect(url)
        try:
            await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await maintenance.close()

    asyncio.run(drop(_migrated_template))


@asynccontextmanager
async def fresh_postgres_database(*, migrated: bool = False) -> AsyncIterator[str]:
    """A throw-away PostgreSQL database, dropped on exit; its URL. ``migrated``: a copy of
    the session's template, every built-in app's tables already made (an app starting on it
    finds nothing to migrate); else an empty one."""
    maintenance_url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    maintenance = await reach_service(
        "PostgreSQL", POSTGRES_URL_ENV, asyncpg.connect(maintenance_url)
    )
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex}"
    try:
        if migrated:
            template = await _template(maintenance, maintenance_url)
            await maintenance.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
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


@asynccontextmanager
async def redis_key_space() -> AsyncIterator[tuple[str, str]]:
    """The test Redis URL and a fresh key prefix; the keys under it are deleted on exit."""
    redis_url = os.environ.get(REDIS_URL_ENV, DEFAULT_REDIS_URL)
    prefix = f"{TEST_KEY_PREFIX}{uuid.uuid4().hex}:"
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await reach_service("Redis", REDIS_URL_ENV, client.ping())
        yield redis_url, prefix
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()


@asynccontextmanager
async def backend_key_space(backend: str) -> AsyncIterator[tuple[str | None, str]]:
    """``(redis_url, key_prefix)`` of a "memory" or "redis" backend (see redis_key_space)."""
    if backend != "redis":
        yield None, f"{TEST_KEY_PREFIX}{uuid.uuid4().hex}:"
        return
    async with redis_key_space() as key_space:
        yield key_space


@pytest.fixture(params=["memory", "redis"])
async def cache_factory(request: pytest.FixtureRequest) -> AsyncIterator[CacheFactory]:
    """Makes caches of one backend; Redis ones get ``key_prefix`` under a per-test prefix.

    Every cache made is closed afterwards, and the test's Redis keys deleted.
    """
    made: list[Cache] = []
    async with backend_key_space(request.param) as (redis_url, test_prefix):

        def make(key_prefix: str) -> Cache:
            made.append(create_cache(redis_url, key_prefix=f"{test_prefix}{key_prefix}"))
            return made[-1]

        yield make
    for cache in made:
        await cache.close()


@pytest.fixture
def cache(cache_factory: CacheFactory) -> Cache:
    """An empty cache: in-process, or Redis under a key prefix of its own."""
    return cache_factory("")


RateLimiterFactory = Callable[[], Awaitable[RateLimiter]]


@pytest.fixture(params=["memory", "redis"])
async def rate_limiter_factory(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiterFactory]:
    """Makes enabled, opened rate limiters of one backend (closed afterwards).

    Redis ones share one per-test key prefix, so two of them share counters the way two
    server processes do; the test's Redis keys are deleted afterwards.
    """
    made: list[RateLimiter] = []
    async with backend_key_space(request.param) as (redis_url, test_prefix):

        async def make() -> RateLimiter:
            limiter = RateLimiter(enabled=True, redis_url=redis_url, redis_key_prefix=test_prefix)
            await limiter.open()
            made.append(limiter)
            return limiter

        yield make
    for limiter in made:
        await limiter.close()


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
BUILT_IN_PLUGINS = [
    "server",
    "repo",
    "sync",
    "blob",
    "identity",
    "session",
    "admin",
    "mailer",
    "images",
]
ACCESS_TOKEN_TTL_S = 3600


@pytest.fixture(params=["sqlite+memory", "postgres+redis"])
async def backend_config(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
    """Config sections selecting one backend pair (database URL unset = SQLite default)."""
    if request.param == "sqlite+memory":
        yield {}
        return
    async with (
        redis_key_space() as (redis_url, prefix),
        fresh_postgres_database(migrated=True) as database,
    ):
        yield {"database": {"url": database}, "redis": {"url": redis_url, "key_prefix": prefix}}


@pytest.fixture
async def second_database(backend_config: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """Config sections that give a second server its own database on the same backend.

    SQLite needs nothing (the database lives in the data directory, give it another);
    PostgreSQL gets a fresh database of its own.
    """
    if "database" not in backend_config:
        yield {}
        return
    async with fresh_postgres_database() as url:
        yield {"database": {"url": url}}


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
            "accounts": {"login_min_duration_s": 0},
            "identity": {"did_plc_url": ""},
            "rate_limits": {"enabled": False},  # on by default for new installs
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
async def client(client_factory: Callable[..., Awaitable[Any]]) -> Any:
    """A started app's test client: default test settings, built-in plugins only.

    A module that needs other settings or plugins defines a ``client`` of its own.
    """
    return await client_factory()


@pytest.fixture
async def alice(client: Any, account_factory: Callable[..., Awaitable[TestAccount]]) -> TestAccount:
    """The account ``alice.test`` on the server of ``client`` (the module's, if it has one)."""
    return await account_factory(client, "alice.test")


@pytest.fixture
def admin_headers() -> dict[str, str]:
    """HTTP Basic credentials of the test admin."""
    token = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# --- Accounts ------------------------------------------------------------------------------
#
# ``account_factory(server, handle)`` creates a hosted account (repo with its first commit)
# and an access token for it on a started Pds or an app's test client, through the repo
# engine directly (no XRPC round trip).


@dataclass
class TestAccount:
    """A hosted test account and its credentials."""

    did: str
    handle: str
    key: PrivateKey
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Bearer access-token headers."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def did_key(self) -> str:
        """The did:key of the repo signing key."""
        return self.key.public_key().did_key()


@pytest.fixture
def account_factory() -> Callable[..., Awaitable[TestAccount]]:
    """``await make(server, handle, did=None, key=None, server_did=False)``: a new account
    on ``server``, a started :class:`Pds` or an app's test client (see
    :func:`create_test_account`)."""

    async def make(
        server: Any,
        handle: str,
        *,
        did: str | None = None,
        key: PrivateKey | None = None,
        server_did: bool = False,
    ) -> TestAccount:
        pds = server if isinstance(server, Pds) else get_pds(server.app)
        return await create_test_account(pds, handle, did=did, key=key, server_did=server_did)

    return make


async def create_test_account(
    pds: Pds,
    handle: str,
    *,
    did: str | None = None,
    key: PrivateKey | None = None,
    server_did: bool = False,
) -> TestAccount:
    """A hosted account on a started ``pds``, with an access token.

    ``did`` and ``key`` default to new ones; give them to host an account that another
    server holds too (account migration). The new DID is a random did:plc that no
    directory knows, or with ``server_did`` the one the server's identity service makes
    (did:web of the handle, or a did:plc registered with the configured directory).
    """
    key = key or PrivateKey.generate("k256")
    if did is None:
        did = (
            await pds.identity.create_did(handle, key.public_key(), None)
            if server_did
            else f"did:plc:{uuid.uuid4().hex[:24]}"
        )
    await pds.repo_writer.create_repo(did, key)
    await Account.create(did=did, handle=handle)
    token = mint_token(
        secret=pds.settings.jwt_secret,
        did=did,
        audience=pds.settings.service_did,
        scope=Scope.ACCESS,
        ttl_s=ACCESS_TOKEN_TTL_S,
        typ=ACCESS_TYP,
    )
    return TestAccount(did=did, handle=handle, key=key, token=token)


# --- A real SMTP server -------------------------------------------------------------------
#
# ``smtp_server`` runs aiosmtpd on 127.0.0.1 (a thread of its own) that accepts the login
# SMTP_USER/SMTP_PASSWORD only (without TLS) and keeps every message it receives.

SMTP_USER = "pds-mailer"
SMTP_PASSWORD = "smtp p@ss:word"


@dataclass
class SmtpCapture:
    """A local SMTP server and what it received."""

    port: int
    received: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    def url(self, user: str = SMTP_USER, password: str = SMTP_PASSWORD) -> str:
        """``smtp://user:password@127.0.0.1:port`` with the parts URL-encoded."""
        return f"smtp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """aiosmtpd authenticator: the one known login."""
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if (user, password) == (SMTP_USER, SMTP_PASSWORD):
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """aiosmtpd handler: keep the message."""
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope, parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterable[SmtpCapture]:
    """A running SMTP server on 127.0.0.1 that records what it receives."""
    capture = SmtpCapture(port=_free_port())
    controller = Controller(
        capture,
        hostname="127.0.0.1",
        port=capture.port,
        authenticator=capture.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()


# --- A real server ------------------------------------------------------------------------
#
# ``live_server(handles)`` prepares accounts in the data directory, then runs ``pds serve``
# in a child process on a free port (same backend pair as the other app tests). For
# WebSocket clients, real SDKs and crash tests.

SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 30.0
SERVER_LOG_NAME = "server.log"


@dataclass
class LiveServer:
    """A ``pds serve`` child process and the accounts prepared for it."""

    url: str
    process: subprocess.Popen[bytes]
    accounts: dict[str, TestAccount]
    settings: Settings

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what a power cut would leave."""
        self.process.kill()
        self.process.wait(SERVER_STOP_TIMEOUT_S)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_environment(settings: Settings, port: int) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    environment.update(
        PDS_PORT=str(port),
        PDS_DATA_DIRECTORY=str(settings.data_directory),
        PDS_DATABASE_URL=settings.database_url,
        PDS_ADMIN_PASSWORD=settings.admin_password,
        PDS_JWT_SECRET=settings.jwt_secret,
        PDS_ENABLE_PLUGINS=",".join(BUILT_IN_PLUGINS),
        PDS_DID_PLC_URL=settings.did_plc_url,
        PDS_RATE_LIMITS_ENABLED=str(settings.rate_limits_enabled).lower(),
    )
    if settings.redis_url:
        environment.update(PDS_REDIS_URL=settings.redis_url)
    return environment


async def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    async with httpx.AsyncClient() as http:
        while True:
            try:
                await http.get(f"{url}/xrpc/_health")
                return
            except httpx.TransportError:
                if process.poll() is not None:
                    raise RuntimeError("pds serve exited during start-up") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("pds serve did not start") from None
                await asyncio.sleep(0.1)


@pytest.fixture
async def live_server(
    settings_factory: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """``await start(handles=(), env=None, **sections)``: a running server with those accounts.

    ``sections`` shape the settings the accounts are prepared with; the server process
    gets the basics of them, plus the ``PDS_*`` variables in ``env``.
    """
    servers: list[LiveServer] = []

    async def start(
        handles: Iterable[str] = (), env: dict[str, str] | None = None, **sections: Any
    ) -> LiveServer:
        settings = settings_factory(**sections)
        pds = Pds(settings)
        await pds.start()
        try:
            accounts = {handle: await create_test_account(pds, handle) for handle in handles}
        finally:
            await pds.stop()
        port = _free_port()
        with (settings.data_directory / SERVER_LOG_NAME).open("ab") as log:
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "pds"), "serve"],
                env={**_server_environment(settings, port), **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = LiveServer(f"http://127.0.0.1:{port}", process, accounts, settings)
        servers.append(server)
        await _wait_until_serving(server.url, process)
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
            server.process.wait(SERVER_STOP_TIMEOUT_S)


@pytest.fixture
def serve_in_process() -> Callable[..., AbstractAsyncContextManager[tuple[Pds, int]]]:
    """``async with serve(settings, extra_plugins=(), send_buffer_bytes=None) as (pds, port)``:
    the app served by hypercorn in this process as ``pds serve`` serves it, on a free port.
    """

    @asynccontextmanager
    async def serve(
        settings: Settings,
        extra_plugins: Iterable[tuple[str, object]] = (),
        send_buffer_bytes: int | None = None,
    ) -> AsyncIterator[tuple[Pds, int]]:
        app = create_app(settings, extra_plugins=extra_plugins)
        listener = listen(dataclasses.replace(settings, port=0))
        if send_buffer_bytes is not None:  # accepted connections inherit it
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_bytes)
        port: int = listener.getsockname()[1]
        config = hypercorn_config(settings, listener)
        config.errorlog = None
        stopping = asyncio.Event()
        server = asyncio.create_task(serve_app(app, config, shutdown_trigger=stopping.wait))
        try:
            async with httpx.AsyncClient() as probe, asyncio.timeout(SERVER_START_TIMEOUT_S):
                while True:
                    try:
                        await probe.get(f"http://127.0.0.1:{port}/xrpc/_health")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.01)
            yield get_pds(app), port
        finally:
            stopping.set()
            await server

    return serve


# --- A did:plc directory ----------------------------------------------------------------------
#
# ``plc_directory``: the URL of the official PLC directory server running in memory on
# 127.0.0.1 (fixture code in tests/plc_directory.py, loaded by path: tests/ is no package).


def _load_plc_directory_fixture() -> Any:
    import importlib.util

    path = Path(__file__).with_name("plc_directory.py")
    spec = importlib.util.spec_from_file_location("exprsn_tests_plc_directory", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.plc_directory


plc_directory = _load_plc_directory_fixture()
