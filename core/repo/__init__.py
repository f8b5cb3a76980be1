"""Repositories: the MST, signed commits, record storage, exports and the write path."""

from exprsn_pds.storage import ModelApp

MODEL_APP = ModelApp(
    label="repo",
    models=["exprsn_pds.repo.models"],
    migrations="exprsn_pds.repo.migrations",
)
