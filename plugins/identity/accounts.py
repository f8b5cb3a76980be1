"""The caller's account and repo key, as the identity handlers need them."""

from __future__ import annotations

from exprsn_pds import XrpcContext
from exprsn_pds.crypto import PrivateKey, PublicKey, parse_multikey
from exprsn_pds.errors import RepoNotFound
from exprsn_pds.repo.models import Repo


async def repo_of(did: str) -> Repo:
    """The repo of hosted account ``did``."""
    repo = await Repo.get_or_none(did=did)
    if repo is None:
        raise RepoNotFound(did)
    return repo


async def signing_public_key(did: str) -> PublicKey:
    """The public repo signing key of hosted account ``did``."""
    return parse_multikey((await repo_of(did)).signing_public_key)


async def signing_private_key(ctx: XrpcContext, did: str) -> PrivateKey:
    """The private repo signing key of hosted account ``did`` (opened from its envelope)."""
    repo = await repo_of(did)
    return ctx.pds.repo_writer.keys.open(did, bytes(repo.signing_key), repo.signing_key_curve)
