"""Translate the configured database URL into a tortoise connection config.

Accepted URLs:

* ``sqlite:///abs/path.db``: an absolute file path;
* ``sqlite://relative.db``: a file relative to the data directory;
* ``sqlite://:memory:``: a private in-memory database (tests, throwaway tools);
* ``postgres://`` or ``postgresql://user:password@host:port/database``, optionally with
  ``?sslmode=require`` (or ``?ssl=...``), served through asyncpg.

Errors name the URL scheme or the offending query parameter, never the URL itself, so a
password in it cannot leak into logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

SQLITE_ENGINE: Final = "tortoise.backends.sqlite"
ASYNCPG_ENGINE: Final = "tortoise.backends.asyncpg"
ENGINE_DIALECTS: Final = {SQLITE_ENGINE: "sqlite", ASYNCPG_ENGINE: "postgres"}

SQLITE_SCHEME: Final = "sqlite"
POSTGRES_SCHEMES: Final = frozenset({"postgres", "postgresql"})
SQLITE_MEMORY: Final = ":memory:"

DEFAULT_POSTGRES_PORT: Final = 5432
DEFAULT_POOL_MIN_SIZE: Final = 1
DEFAULT_POOL_MAX_SIZE: Final = 10
DEFAULT_BUSY_TIMEOUT_MS: Final = 5000
SSL_QUERY_PARAMETERS: Final = frozenset({"ssl", "sslmode"})


def database_url_to_tortoise(
    url: str,
    data_directory: Path,
    *,
    pool_max_size: int = DEFAULT_POOL_MAX_SIZE,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
) -> dict[str, Any]:
    """The tortoise connection config (``{"engine", "credentials"}``) for ``url``.

    ``pool_max_size`` bounds the PostgreSQL connection pool; ``busy_timeout_ms`` is how
    long a SQLite writer waits for a competing lock. Raises ``ValueError`` for an
    unsupported scheme or a malformed URL.
    """
    scheme, separator, location = url.partition("://")
    if not separator:
        raise ValueError("database URL must look like <scheme>://...")
    if scheme == SQLITE_SCHEME:
        return _sqlite_config(location, data_directory, busy_timeout_ms)
    if scheme in POSTGRES_SCHEMES:
        return _postgres_config(urlsplit(url), pool_max_size)
    supported = ", ".join(sorted({SQLITE_SCHEME, *POSTGRES_SCHEMES}))
    raise ValueError(f"unsupported database URL scheme {scheme!r} (supported: {supported})")


def dialect_of(connection_config: dict[str, Any]) -> str:
    """``"sqlite"`` or ``"postgres"`` for a config made by :func:`database_url_to_tortoise`."""
    return ENGINE_DIALECTS[connection_config["engine"]]


def _sqlite_config(location: str, data_directory: Path, busy_timeout_ms: int) -> dict[str, Any]:
    if not location:
        raise ValueError("sqlite database URL has no path")
    if "?" in location:
        raise ValueError("sqlite database URLs take no query parameters")
    if location == SQLITE_MEMORY:
        file_path = SQLITE_MEMORY
    else:
        path = Path(location)
        file_path = str(path if path.is_absolute() else data_directory / path)
    return {
        "engine": SQLITE_ENGINE,
        "credentials": {
            "file_path": file_path,
            # Each extra credential is run as ``PRAGMA <name>=<value>`` on connect.
            "journal_mode": "WAL",
            "synchronous": "NORMAL",
            "foreign_keys": "ON",
            "busy_timeout": busy_timeout_ms,
        },
    }


def _postgres_config(parts: SplitResult, pool_max_size: int) -> dict[str, Any]:
    if pool_max_size < DEFAULT_POOL_MIN_SIZE:
        raise ValueError(f"pool_max_size must be at least {DEFAULT_POOL_MIN_SIZE}")
    try:
        port = parts.port or DEFAULT_POSTGRES_PORT
    except ValueError:
        raise ValueError("postgres database URL has an invalid port") from None
    database = unquote(parts.path.removeprefix("/"))
    if not database:
        raise ValueError("postgres database URL names no database")
    credentials: dict[str, Any] = {
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "database": database,
        "minsize": DEFAULT_POOL_MIN_SIZE,
        "maxsize": pool_max_size,
    }
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in SSL_QUERY_PARAMETERS:
            raise ValueError(f"unsupported postgres URL query parameter {name!r}")
        credentials["ssl"] = value
    return {"engine": ASYNCPG_ENGINE, "credentials": credentials}
