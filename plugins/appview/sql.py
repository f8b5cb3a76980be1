"""The client of the plugin's own tables; the SQL helpers come from :mod:`exprsn_pds.sql`.

The index's hot paths (upserts of marks and counters, the batched joins of hydration)
are plain SQL run by :func:`~exprsn_pds.sql.fetch` / :func:`~exprsn_pds.sql.execute` on a
tortoise client: the transaction's (``pds.database.transaction()``), or :func:`client`
outside one. Only the ``*_store`` modules of this plugin use them, and only on
``appview_*`` tables; the core's tables are reached through ``pds.accounts`` / ``pds.repos``.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.models import IndexedActor
from exprsn_pds.sql import MAX_PARAMETERS, Row, execute, fetch, is_postgres

__all__ = ["MAX_PARAMETERS", "Row", "client", "execute", "fetch", "is_postgres"]


def client() -> BaseDBAsyncClient:
    """The client of the index's tables now: the open transaction's, else the database's."""
    db: BaseDBAsyncClient = IndexedActor._meta.db
    return db
