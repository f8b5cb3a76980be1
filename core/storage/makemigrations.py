r"""Write new versioned migrations for model changes (tortoise 1.x autodetector).

A plugin author who adds or changes models runs, from the folder their package imports
from::

    python -m exprsn_pds.storage.makemigrations \
        my_plugin=my_plugin.models:my_plugin.migrations --name add_bookmarks

Each argument is ``LABEL=MODELS[,MODELS...]:MIGRATIONS``: the app label, its model
modules and its migrations package (created if missing). The command compares the
models with what the existing migrations build and writes the difference as the next
numbered module, e.g. ``my_plugin/migrations/0002_add_bookmarks.py``; without
``--name`` the first is ``0001_initial`` and later ones ``NNNN_auto_<timestamp>``.
When your models have relations to another app's models (e.g. the core's), list that
app too; only apps with changes get a new migration. Review the file and commit it;
:meth:`exprsn_pds.storage.Database.migrate` applies it at startup.

``--check`` writes nothing and exits with status 1 when some app has model changes
without a migration (useful in CI). No database is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import format_migration_name

from exprsn_pds.storage.apps import CONNECTION_NAME, ModelApp, tortoise_apps_config

OFFLINE_DATABASE_URL: Final = "sqlite://:memory:"
CHANGES_PENDING_EXIT_STATUS: Final = 1
APP_SPEC_METAVAR: Final = "LABEL=MODELS[,MODELS...]:MIGRATIONS"


async def make_migrations(
    apps: Sequence[ModelApp], *, name: str | None = None, write: bool = True
) -> list[Path]:
    """The migration files that the model changes of ``apps`` need.

    With ``write`` (the default) the files are written, creating a missing migrations
    package; without it nothing is written. ``name`` replaces the generated name after
    the number (``0002_<name>``). Every app needs a ``migrations`` package path.
    """
    for app in apps:
        if app.migrations is None:
            raise ValueError(f"model app {app.label!r} names no migrations package")
        if write:
            _create_package(app.migrations)
    apps_config = tortoise_apps_config(apps)
    async with TortoiseContext() as context:
        await context.init(
            config={"connections": {CONNECTION_NAME: OFFLINE_DATABASE_URL}, "apps": apps_config},
            init_connections=False,
        )
        if context.apps is None:
            raise RuntimeError("tortoise loaded no apps")
        writers = await MigrationAutodetector(context.apps, apps_config).changes()
    paths: list[Path] = []
    for writer in writers:
        if name is not None:
            number = int(writer.name.split("_", 1)[0])
            writer.name = format_migration_name(number, name)
        paths.append(writer.write() if write else writer.path())
    return paths


def parse_app_spec(spec: str) -> ModelApp:
    """A :class:`ModelApp` from ``LABEL=MODELS[,MODELS...]:MIGRATIONS``."""
    label, _, rest = spec.partition("=")
    models, _, migrations = rest.rpartition(":")
    model_modules = [module for module in models.split(",") if module]
    if not label or not model_modules or not migrations:
        raise argparse.ArgumentTypeError(f"expected {APP_SPEC_METAVAR}, got {spec!r}")
    return ModelApp(label=label, models=model_modules, migrations=migrations)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m exprsn_pds.storage.makemigrations",
        description="Write new versioned migrations for model changes.",
    )
    parser.add_argument("apps", nargs="+", type=parse_app_spec, metavar=APP_SPEC_METAVAR)
    parser.add_argument("-n", "--name", help="name of the new migration, after its number")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if migrations are missing"
    )
    arguments = parser.parse_args(argv)
    paths = asyncio.run(
        make_migrations(arguments.apps, name=arguments.name, write=not arguments.check)
    )
    if not paths:
        print("No model changes.")
        return 0
    verb = "Missing" if arguments.check else "Created"
    for path in paths:
        print(f"{verb} {path}")
    return CHANGES_PENDING_EXIT_STATUS if arguments.check else 0


def _create_package(dotted_name: str) -> None:
    if importlib.util.find_spec(dotted_name) is not None:
        return
    parent_name, _, leaf = dotted_name.rpartition(".")
    if not parent_name:
        raise ValueError(f"migrations package {dotted_name!r} must live inside a package")
    parent = importlib.import_module(parent_name)
    package = Path(next(iter(parent.__path__))) / leaf
    package.mkdir(exist_ok=True)
    (package / "__init__.py").touch()
    importlib.invalidate_caches()


if __name__ == "__main__":
    raise SystemExit(main())
