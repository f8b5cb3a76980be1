"""The ``pds`` command: serve, inspect config and plugins, migrate, administer accounts."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import click
from pluggy import PluginValidationError

from exprsn_pds import __version__
from exprsn_pds.cli_admin import account_group, invite_group, request_crawl
from exprsn_pds.config import ConfigError, Settings, load_settings
from exprsn_pds.config.loader import CONFIG_PATH_VARIABLE
from exprsn_pds.config.secrets_file import secrets_path
from exprsn_pds.crypto import load_master_keyring, rotate
from exprsn_pds.lexicon import LexiconError
from exprsn_pds.logs import configure_logging, get_logger
from exprsn_pds.pds import Pds
from exprsn_pds.registrars import PluginStartupError
from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.rekey import reseal_all
from exprsn_pds.serving import DataDirectoryLock, ServeError, hypercorn_config, listen

log = get_logger(__name__)


class CliState:
    """Settings are loaded lazily so ``--help`` works without a valid config."""

    def __init__(self, config_path: Path | None, url: str | None = None) -> None:
        self.config_path = config_path
        self.url = url

    def settings(self) -> Settings:
        """The server's settings (secrets it lacks are generated, as the server does)."""
        return self._load(generate_secrets=True)

    def client_settings(self) -> Settings:
        """The settings a client of the running server reads: nothing is generated."""
        return self._load(generate_secrets=False)

    def _load(self, *, generate_secrets: bool) -> Settings:
        try:
            return load_settings(self.config_path, generate_secrets=generate_secrets)
        except ConfigError as error:
            raise click.ClickException(f"configuration error: {error}") from error


class PdsGroup(click.Group):
    """The ``pds`` group: the built-in verbs, then those plugins add
    (``pds_register_commands``), found by building the server from the config."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Built-in verbs and the plugins' (none when the config cannot be loaded)."""
        try:
            added = _plugin_commands(ctx)
        except click.ClickException:
            added = {}
        return sorted(set(super().list_commands(ctx)) | set(added))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A built-in verb, else a plugin's."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        return _plugin_commands(ctx).get(cmd_name)


def _plugin_commands(ctx: click.Context) -> dict[str, click.Command]:
    """The commands of the enabled plugins; a clash with a built-in verb is an error."""
    root = ctx.find_root()
    state = (
        root.obj
        if isinstance(root.obj, CliState)
        else CliState(root.params.get("config_path"), root.params.get("url"))
    )
    commands = _build(state.settings()).commands
    clashes = sorted(set(commands) & set(main.commands))
    if clashes:
        raise click.ClickException(f"plugin commands clash with built-in ones: {clashes}")
    return commands


@click.group(cls=PdsGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=CONFIG_PATH_VARIABLE,
    help="TOML config file (default: $PDS_CONFIG; PDS_* variables override it).",
)
@click.option(
    "--url", default=None, help="The running server, for the admin verbs (default: config)."
)
@click.version_option(__version__, "--version", "-V", prog_name="exprsn-pds")
@click.pass_context
def main(context: click.Context, config_path: Path | None, url: str | None) -> None:
    """exprsn-pds: an AT Protocol Personal Data Server."""
    context.obj = CliState(config_path, url)


main.add_command(account_group)
main.add_command(invite_group)
main.add_command(request_crawl)


@main.command()
@click.option("--workers", type=int, default=None, help="Worker processes (default: config).")
@click.pass_obj
def serve(state: CliState, workers: int | None) -> None:
    """Migrate the database, then serve with hypercorn."""
    from hypercorn.run import run

    settings = state.settings()
    configure_logging(settings.log_level)
    lock = DataDirectoryLock(settings.data_directory)
    try:
        lock.acquire()
        listener = listen(settings)
    except ServeError as error:
        raise click.ClickException(str(error)) from None
    pds = _build(settings)
    if settings.migrate_on_start:
        asyncio.run(_migrate(pds))
    click.echo(f"exprsn-pds {pds.version} listening on http://{settings.bind}:{settings.port}")
    click.echo(
        f"admin password: stored in {secrets_path(settings.data_directory)}"
        " (unless PDS_ADMIN_PASSWORD is set)"
    )
    if state.config_path is not None:
        os.environ[CONFIG_PATH_VARIABLE] = str(state.config_path.resolve())
    os.environ["PDS_MIGRATE_ON_START"] = "false"  # done once above, not once per worker
    config = hypercorn_config(settings, listener)
    worker_count = workers or settings.workers
    # hypercorn's "0 workers" serves in this process; one worker needs no child process
    # (and a child would outlive a killed parent).
    config.workers = 0 if worker_count == 1 else worker_count
    run(config)
    log.info("pds shut down cleanly")
    lock.release()


@main.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
@click.pass_obj
def config_show(state: CliState) -> None:
    """Print the effective configuration as JSON, secrets masked."""
    click.echo(json.dumps(state.settings().masked(), indent=2, sort_keys=True))


@main.group("plugins")
def plugins_group() -> None:
    """Inspect plugins."""


@plugins_group.command("list")
@click.pass_obj
def plugins_list(state: CliState) -> None:
    """Name, version, enabled and namespaces served of every installed plugin."""
    pds = _build(state.settings())
    rows = [("NAME", "VERSION", "ENABLED", "NAMESPACES")]
    for info in pds.plugins.infos:
        enabled = "essential" if info.essential else ("yes" if info.enabled else "no")
        rows.append((info.name, info.version or "-", enabled, ", ".join(info.namespaces) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))


@main.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("migrate")
@click.pass_obj
def db_migrate(state: CliState) -> None:
    """Apply pending schema migrations of the core and every enabled plugin."""
    applied = asyncio.run(_migrate(_build(state.settings())))
    click.echo("\n".join(f"applied {name}" for name in applied) or "nothing to migrate")


STARTUP_ERRORS = (ConfigError, LexiconError, PluginStartupError, PluginValidationError)


@main.group("keys")
def keys_group() -> None:
    """Encryption keys."""


@keys_group.command("rotate-master")
@click.pass_obj
def keys_rotate_master(state: CliState) -> None:
    """Add a new master key and re-encrypt every repo signing key under it.

    Running servers on the data directory take the new key up by themselves. With
    PDS_KEY_ENCRYPTION_KEYS, put the new key first in that list instead and restart the
    servers with it, then run this to re-encrypt.
    """
    settings = state.settings()
    if not settings.key_encryption_keys:
        key_id = rotate(settings.data_directory)
        click.echo(f"new master key {key_id}")
    resealed = asyncio.run(_reseal(_build(settings)))
    click.echo(f"re-encrypted {resealed} signing keys")


async def _reseal(pds: Pds) -> int:
    settings = pds.settings
    keyring = load_master_keyring(settings.data_directory, settings.key_encryption_keys)
    await pds.database.connect()
    try:
        await pds.database.migrate()
        return await reseal_all(pds.database.client, RepoKeys(keyring))
    finally:
        await pds.database.close()


def _build(settings: Settings) -> Pds:
    try:
        return Pds(settings)
    except STARTUP_ERRORS as error:
        raise click.ClickException(f"start-up error: {error}") from error


async def _migrate(pds: Pds) -> list[str]:
    settings = pds.settings
    settings.data_directory.mkdir(parents=True, exist_ok=True)
    await pds.database.connect()
    try:
        return await pds.database.migrate()
    finally:
        await pds.database.close()
