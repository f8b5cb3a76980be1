"""The database layer: one tortoise database (SQLite or PostgreSQL) per process.

Core and plugins describe their models as :class:`ModelApp` s; :class:`Database`
connects, migrates (versioned migrations, see :mod:`exprsn_pds.storage.makemigrations`),
pings and runs transactions.
"""

from exprsn_pds.storage.apps import ModelApp
from exprsn_pds.storage.database import Database
from exprsn_pds.storage.migrate import MissingMigrations
from exprsn_pds.storage.urls import database_url_to_tortoise

__all__ = ["Database", "MissingMigrations", "ModelApp", "database_url_to_tortoise"]
