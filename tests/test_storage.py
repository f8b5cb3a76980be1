"""The database layer: URLs, connecting, migrations, transactions, health."""

from __future__ import annotations

import asyncio
import importlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from appview_replay import appview_settings

from exprsn_pds.config import Settings
from exprsn_pds.pds import Pds
from exprsn_pds.storage import Database, MissingMigrations, ModelApp, database_url_to_tortoise, sql
from exprsn_pds.storage.locks import MIGRATION_LOCK_KEY
from exprsn_pds.storage.makemigrations import main as makemigrations_main
from exprsn_pds.storage.makemigrations import make_migrations

FIXTURE_APP = ModelApp(
    label="storage_fixture",
    models=["storage_fixture_app.models"],
    migrations="storage_fixture_app.migrations",
)
FIXTURE_APP_SPEC = "storage_fixture=storage_fixture_app.models:storage_fixture_app.migrations"
FIXTURE_MIGRATIONS = ["storage_fixture.0001_initial", "storage_fixture.0002_add_body"]
UNREACHABLE_POSTGRES_URL = "postgresql://postgres@127.0.0.1:1/unreachable"
NOT_A_DATABASE = b"this is not a SQLite database file" * 100
SECRET = "hunter2"
DATA_DIRECTORY = Path("/srv/pds")
SMALL_POOL_SIZE = 3
LOCK_WAIT_S = 0.3
MIGRATE_TIMEOUT_S = 10.0


@pytest.fixture
def fixture_app() -> ModelApp:
    """The test-only model app (tests/storage_fixture_app): importable, as tests/ is on
    ``sys.path`` (pyproject.toml's pytest ``pythonpath``)."""
    return FIXTURE_APP


@pytest.fixture
def note(fixture_app: ModelApp) -> Any:
    """The fixture app's ``Note`` model."""
    return importlib.import_module("storage_fixture_app.models").Note


@pytest.fixture
async def database(
    database_url: str, fixture_app: ModelApp, tmp_path: Path
) -> AsyncIterator[Database]:
    """A connected, not yet migrated database holding the fixture app."""
    database = Database(database_url, [fixture_app], tmp_path)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()


class Rollback(Exception):
    """Raised inside a transaction to abort it."""


# --- URLs ---------------------------------------------------------------------------------


def sqlite(file_path: str, busy_timeout_ms: int = 5000) -> dict[str, Any]:
    return {
        "engine": "tortoise.backends.sqlite",
        "credentials": {
            "file_path": file_path,
            "journal_mode": "WAL",
            "synchronous": "NORMAL",
            "foreign_keys": "ON",
            "busy_timeout": busy_timeout_ms,
        },
    }


def postgres(**credentials: Any) -> dict[str, Any]:
    defaults = {"port": 5432, "password": None, "minsize": 1, "maxsize": 10}
    return {"engine": "tortoise.backends.asyncpg", "credentials": defaults | credentials}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/lib/pds.db", sqlite("/var/lib/pds.db")),
        ("sqlite://pds.db", sqlite("/srv/pds/pds.db")),
        ("sqlite://db/pds.db", sqlite("/srv/pds/db/pds.db")),
        ("sqlite://:memory:", sqlite(":memory:")),
        (
            f"postgres://pds:{SECRET}%40x@db.example:6543/pds",
            postgres(
                host="db.example", port=6543, user="pds", password=f"{SECRET}@x", database="pds"
            ),
        ),
        (
            "postgresql://postgres@127.0.0.1/pds?sslmode=require",
            postgres(host="127.0.0.1", user="postgres", database="pds", ssl="require"),
        ),
    ],
)
def test_database_urls_translate_to_tortoise_configs(url: str, expected: dict[str, Any]) -> None:
    assert database_url_to_tortoise(url, DATA_DIRECTORY) == expected


def test_pool_size_and_busy_timeout_are_configurable() -> None:
    postgres_config = database_url_to_tortoise(
        "postgresql://h/pds", DATA_DIRECTORY, pool_max_size=SMALL_POOL_SIZE
    )
    sqlite_config = database_url_to_tortoise("sqlite://pds.db", DATA_DIRECTORY, busy_timeout_ms=1)
    assert postgres_config["credentials"]["maxsize"] == SMALL_POOL_SIZE
    assert sqlite_config["credentials"]["busy_timeout"] == 1


@pytest.mark.parametrize(
    ("url", "named"),
    [
        (f"mysql://root:{SECRET}@db/pds", "'mysql'"),
        (f"postgresql://root:{SECRET}@db", "no database"),
        (f"postgresql://root:{SECRET}@db:port/pds", "invalid port"),
        (f"postgresql://root:{SECRET}@db/pds?passfile=x", "'passfile'"),
        (f"sqlite:///pds.db?key={SECRET}", "query parameters"),
        ("sqlite://", "no path"),
        (f"root:{SECRET}@db/pds", "<scheme>://"),
    ],
)
def test_bad_database_urls_are_refused_without_echoing_them(url: str, named: str) -> None:
    with pytest.raises(ValueError) as raised:
        database_url_to_tortoise(url, DATA_DIRECTORY)
    assert named in str(raised.value)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("sqlite://pds.db", "sqlite"),
        ("postgres://h/pds", "postgres"),
        ("postgresql://h/pds", "postgres"),
    ],
)
def test_dialect_follows_the_url(url: str, dialect: str) -> None:
    assert Database(url, [FIXTURE_APP], DATA_DIRECTORY).dialect == dialect


# --- Migrations ---------------------------------------------------------------------------


async def test_migrate_applies_every_migration_of_a_fresh_database(database: Database) -> None:
    assert await database.migrate() == FIXTURE_MIGRATIONS


async def test_migrate_applies_nothing_the_second_time(database: Database) -> None:
    await database.migrate()
    assert await database.migrate() == []


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_migrate_waits_while_another_process_holds_the_migration_lock(
    database: Database, database_url: str
) -> None:
    other_process = await asyncpg.connect(database_url)
    await other_process.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    migrating = asyncio.create_task(database.migrate())
    try:
        await asyncio.sleep(LOCK_WAIT_S)
        assert not migrating.done()
    finally:
        await other_process.close()
    async with asyncio.timeout(MIGRATE_TIMEOUT_S):
        assert await migrating == FIXTURE_MIGRATIONS


async def test_migrate_refuses_an_app_without_a_migrations_package(
    database_url: str, fixture_app: ModelApp, tmp_path: Path
) -> None:
    app = ModelApp(label=fixture_app.label, models=fixture_app.models, migrations=None)
    database = Database(database_url, [app], tmp_path)
    await database.connect()
    try:
        with pytest.raises(MissingMigrations, match="'storage_fixture' has no migrations"):
            await database.migrate()
    finally:
        await database.close()


async def test_migrate_refuses_a_migrations_package_that_does_not_exist(
    database_url: str, fixture_app: ModelApp, tmp_path: Path
) -> None:
    app = ModelApp(fixture_app.label, fixture_app.models, "storage_fixture_app.absent")
    database = Database(database_url, [app], tmp_path)
    await database.connect()
    try:
        with pytest.raises(MissingMigrations, match=r"'storage_fixture_app\.absent' does not"):
            await database.migrate()
    finally:
        await database.close()


async def test_migrate_refuses_an_empty_migrations_package(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = scratch_app(tmp_path, monkeypatch, with_migrations_package=True)
    database = Database(database_url, [app], tmp_path)
    await database.connect()
    try:
        with pytest.raises(MissingMigrations, match="holds no migrations"):
            await database.migrate()
    finally:
        await database.close()


async def test_fixture_app_migrations_match_its_models(fixture_app: ModelApp) -> None:
    assert await make_migrations([fixture_app], write=False) == []


async def test_every_built_in_app_has_migrations_matching_its_models(
    settings_factory: Callable[..., Settings],
) -> None:
    pds = Pds(appview_settings(settings_factory))
    assert {app.label for app in pds.model_apps} >= {"accounts", "events", "repo", "appview"}
    assert await make_migrations(pds.model_apps, write=False) == []


async def test_make_migrations_writes_a_named_migration_that_migrate_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = scratch_app(tmp_path, monkeypatch)
    written = await make_migrations([app], name="create bookmark")
    migrations_folder = tmp_path / app.label / "migrations"
    assert written == [migrations_folder / "0001_create_bookmark.py"]
    database = Database("sqlite://pds.db", [app], tmp_path)
    await database.connect()
    try:
        assert await database.migrate() == [f"{app.label}.0001_create_bookmark"]
    finally:
        await database.close()


def test_makemigrations_check_fails_for_models_without_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = scratch_app(tmp_path, monkeypatch, with_migrations_package=True)
    migrations_folder = tmp_path / app.label / "migrations"
    spec = f"{app.label}={app.label}.models:{app.migrations}"
    assert makemigrations_main([spec, "--check"]) == 1
    assert [path.name for path in migrations_folder.iterdir()] == ["__init__.py"]


def test_makemigrations_check_passes_for_the_fixture_app(fixture_app: ModelApp) -> None:
    assert makemigrations_main([FIXTURE_APP_SPEC, "--check"]) == 0


def scratch_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, with_migrations_package: bool = False
) -> ModelApp:
    """A fresh, importable package with one model and no migrations yet."""
    label = f"scratch_{uuid.uuid4().hex}"
    package = tmp_path / label
    package.mkdir()
    (package / "__init__.py").touch()
    (package / "models.py").write_text(
        "from tortoise import fields\n"
        "from tortoise.models import Model\n\n\n"
        "class Bookmark(Model):\n"
        "    id = fields.IntField(primary_key=True)\n"
        "    url = fields.TextField()\n"
    )
    if with_migrations_package:
        (package / "migrations").mkdir()
        (package / "migrations" / "__init__.py").touch()
    monkeypatch.syspath_prepend(tmp_path)
    return ModelApp(label=label, models=[f"{label}.models"], migrations=f"{label}.migrations")


# --- Using the database -------------------------------------------------------------------


async def test_models_can_be_created_read_updated_and_deleted(
    database: Database, note: Any
) -> None:
    await database.migrate()
    created = await note.create(title="hello", body="world")
    fetched = await note.get(id=created.id)
    assert (fetched.title, fetched.body) == ("hello", "world")
    fetched.body = "edited"
    await fetched.save()
    assert (await note.get(id=created.id)).body == "edited"
    await fetched.delete()
    assert not await note.filter(id=created.id).exists()


async def test_fetch_in_and_rows_by_key_take_lists_longer_than_one_statement_binds(
    database: Database, note: Any
) -> None:
    await database.migrate()
    count = sql.MAX_PARAMETERS * 2 + 5
    await note.bulk_create([note(id=i, title=f"t{i % 3}") for i in range(count)])
    table = note._meta.db_table
    ids = list(range(-3, count + 3))
    rows = await sql.fetch_in(
        database.client,
        f"SELECT id FROM {table} WHERE title = ? AND id IN ({{holes}})",
        ids,
        ["t1"],
    )
    assert sorted(row[0] for row in rows) == [i for i in range(count) if i % 3 == 1]
    found = await sql.rows_by_key(database.client, table, ["id", "title"], [*ids, *ids])
    assert sorted(found) == list(range(count))
    assert found[7] == {"id": 7, "title": "t1"}


async def test_a_committed_transaction_keeps_its_writes(database: Database, note: Any) -> None:
    await database.migrate()
    async with database.transaction():
        await note.create(title="kept")
    assert await note.filter(title="kept").count() == 1


async def test_a_rolled_back_transaction_leaves_nothing_behind(
    database: Database, note: Any
) -> None:
    await database.migrate()
    with pytest.raises(Rollback):
        async with database.transaction():
            await note.create(title="doomed")
            raise Rollback
    assert await note.all().count() == 0


async def test_the_database_client_is_never_an_open_transactions(database: Database) -> None:
    await database.migrate()
    outside = database.client
    async with database.transaction() as connection:
        assert connection is not outside
        assert database.client is outside
    assert database.client is outside


def test_no_core_module_finds_its_client_through_tortoise_s_context_variable() -> None:
    core = Path(sql.__file__).resolve().parent.parent
    readers = [
        str(path.relative_to(core))
        for path in sorted(core.rglob("*.py"))
        if path != Path(sql.__file__).resolve()
        and re.search(r"\bcurrent_client\(|\bin_transaction\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["storage/database.py"], "pass the transaction's or Database.client"


async def test_ping_answers_true_for_a_reachable_database(database: Database) -> None:
    assert await database.ping() is True


async def test_a_database_without_model_apps_connects_and_migrates_nothing(
    database_url: str, tmp_path: Path
) -> None:
    database = Database(database_url, [], tmp_path)
    await database.connect()
    try:
        assert await database.ping() is True
        assert await database.migrate() == []
    finally:
        await database.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
async def test_ping_answers_false_for_an_unreachable_database(
    dialect: str, fixture_app: ModelApp, tmp_path: Path
) -> None:
    (tmp_path / "garbage.db").write_bytes(NOT_A_DATABASE)
    url = "sqlite://garbage.db" if dialect == "sqlite" else UNREACHABLE_POSTGRES_URL
    database = Database(url, [fixture_app], tmp_path)
    await database.connect()
    try:
        assert await database.ping() is False
    finally:
        await database.close()


async def test_sqlite_runs_in_wal_mode_with_the_configured_pragmas(
    fixture_app: ModelApp, tmp_path: Path
) -> None:
    database = Database("sqlite://pds.db", [fixture_app], tmp_path, busy_timeout_ms=1234)
    await database.connect()
    try:
        async with database.transaction() as connection:
            pragmas = {
                name: (await connection.execute_query(f"PRAGMA {name}"))[1][0][0]
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await database.close()
    normal = 1
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": normal,
        "foreign_keys": 1,
        "busy_timeout": 1234,
    }


async def test_only_one_database_is_open_at_a_time(
    database: Database, fixture_app: ModelApp, tmp_path: Path
) -> None:
    other = Database("sqlite://other.db", [fixture_app], tmp_path)
    with pytest.raises(RuntimeError, match="another Database is open"):
        await other.connect()


async def test_another_database_opens_after_close(
    database_url: str, fixture_app: ModelApp, note: Any, tmp_path: Path
) -> None:
    first = Database("sqlite://first.db", [fixture_app], tmp_path)
    await first.connect()
    await first.migrate()
    await note.create(title="in the first database")
    await first.close()
    second = Database(database_url, [fixture_app], tmp_path)
    await second.connect()
    try:
        assert await second.migrate() == FIXTURE_MIGRATIONS
        assert await note.all().count() == 0
    finally:
        await second.close()
