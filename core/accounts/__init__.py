"""Accounts hosted here: DID, handle, e-mail, password hash, lifecycle."""

from exprsn_pds.storage import ModelApp

MODEL_APP = ModelApp(
    label="accounts",
    models=[
        "exprsn_pds.accounts.models",
        "exprsn_pds.accounts.tombstones",
        "exprsn_pds.accounts.reserved_keys",
    ],
    migrations="exprsn_pds.accounts.migrations",
)
