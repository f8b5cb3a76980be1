"""Raw SQL on a plugin's own tables, in one statement text for SQLite and PostgreSQL.

A plugin whose hot paths are plain SQL (batched upserts, joins over its own tables)
writes them once with ``?`` placeholders and runs them with :func:`fetch` and
:func:`execute`, which translate the placeholders for PostgreSQL. The client they take is
given explicitly: inside a transaction the connection ``pds.database.transaction()``
yields, elsewhere ``pds.database.client``. The core's tables are not reached this way but
through ``pds.accounts`` / ``pds.repos`` / ``pds.blobs``.

This module is the deliberate public face of :mod:`exprsn_pds.storage.sql`, the same
functions the core's store modules use; plugins import them from here, never from
``exprsn_pds.storage``.
"""

from __future__ import annotations

from exprsn_pds.storage.sql import (
    MAX_PARAMETERS,
    Row,
    chunks,
    dialect_text,
    execute,
    fetch,
    fetch_in,
    is_postgres,
    placeholders,
    rows_by_key,
    values_rows,
)

__all__ = [
    "MAX_PARAMETERS",
    "Row",
    "chunks",
    "dialect_text",
    "execute",
    "fetch",
    "fetch_in",
    "is_postgres",
    "placeholders",
    "rows_by_key",
    "values_rows",
]
