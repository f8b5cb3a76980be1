"""The client of the plugin's own tables outside a transaction.

The index's hot paths are plain SQL in the plugin's ``*_store`` modules, run through
:mod:`exprsn_pds.sql` on a tortoise client: the transaction's
(``pds.database.transaction()``), or :func:`client` outside one. They touch only
``appview_*`` tables; the core's are reached through ``pds.accounts`` / ``pds.repos``.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.models import IndexedActor


def client() -> BaseDBAsyncClient:
    """The client of the index's tables now: the open transaction's, else the database's."""
    db: BaseDBAsyncClient = IndexedActor._meta.db
    return db
