"""Re-encrypting every repo signing key under the current master key."""

from __future__ import annotations

from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.models import Repo


async def reseal_all(keys: RepoKeys) -> int:
    """Re-encrypt each signing key sealed under an older master key; return how many."""
    resealed = 0
    for repo in await Repo.all():
        sealed = bytes(repo.signing_key)
        if keys.needs_rotation(sealed):
            repo.signing_key = keys.reseal(repo.did, sealed)
            await repo.save(update_fields=["signing_key"])
            resealed += 1
    return resealed
