"""Apply every app's pending versioned migrations, in dependency order.

Migrations are tortoise 1.x migration modules (``class Migration(migrations.Migration)``
with ``dependencies`` and ``operations``) inside each app's migrations package. Applied
ones are recorded in tortoise's own ``tortoise_migrations`` table, so running this again
applies nothing. :mod:`exprsn_pds.storage.makemigrations` writes new ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.executor import MigrationExecutor

from exprsn_pds.storage.apps import ModelApp, tortoise_apps_config

APPLIED_EVENT = "apply_done"
GENERATE_HINT = "generate its migrations with python -m exprsn_pds.storage.makemigrations"


class MissingMigrations(Exception):
    """An app has models but no migrations that would create their tables."""


async def apply_migrations(connection: BaseDBAsyncClient, apps: Sequence[ModelApp]) -> list[str]:
    """Apply the pending migrations of ``apps`` on ``connection``.

    Returns the applied migrations as ``"<label>.<name>"`` in the order they ran.
    Raises :class:`MissingMigrations` when an app has no migrations package, or one
    without migrations.
    """
    for app in apps:
        if app.migrations is None:
            raise MissingMigrations(
                f"model app {app.label!r} has no migrations package; {GENERATE_HINT}"
            )
    executor = MigrationExecutor(connection, tortoise_apps_config(apps))
    await _load_graph(executor, apps)
    applied: list[str] = []

    def record(event: str, app_label: str, name: str) -> None:
        if event == APPLIED_EVENT:
            applied.append(f"{app_label}.{name}")

    await executor.migrate(direction="forward", progress=record)
    return applied


async def _load_graph(executor: MigrationExecutor, apps: Sequence[ModelApp]) -> None:
    try:
        await executor.loader.build_graph()
    except ModuleNotFoundError as error:
        missing = {app.migrations: app.label for app in apps}
        if error.name not in missing:
            raise
        raise MissingMigrations(
            f"model app {missing[error.name]!r}: migrations package "
            f"{error.name!r} does not exist; {GENERATE_HINT}"
        ) from None
    labels_with_migrations = {key.app_label for key in executor.loader.graph.nodes}
    for app in apps:
        if app.label not in labels_with_migrations:
            raise MissingMigrations(
                f"model app {app.label!r}: migrations package "
                f"{app.migrations!r} holds no migrations; {GENERATE_HINT}"
            )
