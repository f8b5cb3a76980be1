"""Re-encrypting every repo signing key under the current master key."""

from __future__ import annotations

from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.store import repo_rows, set_signing_key
from exprsn_pds.storage.sql import current_client


async def reseal_all(keys: RepoKeys) -> int:
    """Re-encrypt each signing key sealed under an older master key; return how many."""
    resealed = 0
    client = current_client()
    for repo in await repo_rows(client):
        if keys.needs_rotation(repo.signing_key):
            await set_signing_key(client, repo.did, keys.reseal(repo.did, repo.signing_key))
            resealed += 1
    return resealed
