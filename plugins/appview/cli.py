"""``pds appview …``: the AppView's command-line verbs (``pds_register_commands``):
``reindex`` and ``publish-feeds``."""

from __future__ import annotations

import asyncio

import click

from exprsn_pds import Pds, XrpcError
from exprsn_pds.plugins.appview.feed_publish import publish_feeds
from exprsn_pds.plugins.appview.reindex import ReindexReport, actors_to_rebuild, rebuild, recount


def appview_commands(pds: Pds) -> click.Group:
    """The ``appview`` group of ``pds``, working on ``pds``'s database."""

    @click.group("appview")
    def appview() -> None:
        """The built-in AppView's index."""

    @appview.command("reindex")
    @click.option("--did", default=None, help="Rebuild this account only (default: all).")
    def reindex(did: str | None) -> None:
        """Rebuild the index from the repos (safe while the server runs)."""
        report = asyncio.run(_reindex(pds, did))
        click.echo(f"reindexed {report.actors} accounts, {report.records} records")

    @appview.command("publish-feeds")
    @click.option(
        "--account", required=True, help="Handle or DID of the hosted account to publish from."
    )
    def publish(account: str) -> None:
        """Publish this server's feeds: one app.bsky.feed.generator record per algorithm."""
        for uri in asyncio.run(_publish(pds, account)):
            click.echo(uri)

    return appview


async def _publish(pds: Pds, account: str) -> list[str]:
    await pds.start()
    try:
        return await publish_feeds(pds, account)
    except XrpcError as error:
        raise click.ClickException(error.message) from error
    finally:
        await pds.stop()


async def _reindex(pds: Pds, did: str | None) -> ReindexReport:
    await pds.database.connect()
    pds.open_cache()  # invalidates what it rebuilt (reaching the server through Redis)
    try:
        await pds.database.migrate()
        dids = [did] if did else await actors_to_rebuild(pds)
        with click.progressbar(length=len(dids), label="reindexing", file=None) as bar:
            report = await rebuild(pds, dids, progress=lambda: bar.update(1))
        if did is None:
            await recount(pds)
        return report
    finally:
        await pds.close_cache()
        await pds.database.close()
