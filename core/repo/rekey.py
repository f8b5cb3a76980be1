"""Re-encrypting every repo signing key under the current master key."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.store import repo_rows, set_signing_key


async def reseal_all(client: BaseDBAsyncClient, keys: RepoKeys) -> int:
    """Re-encrypt each signing key sealed under an older master key (on ``client``);
    return how many."""
    resealed = 0
    for repo in await repo_rows(client):
        if keys.needs_rotation(repo.signing_key):
            await set_signing_key(client, repo.did, keys.reseal(repo.did, repo.signing_key))
            resealed += 1
    return resealed
