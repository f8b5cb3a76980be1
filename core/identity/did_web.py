"""Which did:web a new account gets: its handle's, unless that DID was ever used.

``did:web:<handle>`` is the natural DID of a handle under a service domain, and the
first account with that handle gets it. But a DID is for ever (tokens, records and
relays' copies name it): when that DID is taken, by an account that renamed itself or
one that was deleted (a tombstone), the new account gets
``did:web:<label>-<26 random base32 characters>.<service domain>`` instead. The label is
longer than any handle label under a service domain may be (18 characters), so no
handle's own DID can ever be it, and it stays a single label under the domain: the
wildcard DNS record and TLS certificate that serve the handles serve it too.
"""

from __future__ import annotations

import base64
import secrets
from typing import Final

from exprsn_pds.accounts.models import Account
from exprsn_pds.accounts.tombstones import is_buried
from exprsn_pds.identity.did_resolver import DID_WEB_PREFIX
from exprsn_pds.repo.store import repo_row
from exprsn_pds.storage import Database

#: Random bytes in a derived label (130 bits of base32, 26 characters).
DERIVED_SUFFIX_BYTES: Final = 16
DERIVED_SUFFIX_CHARS: Final = 26
#: A collision of random suffixes is astronomically unlikely; give up after this many.
DERIVATION_ATTEMPTS: Final = 8


async def did_was_used(database: Database, did: str) -> bool:
    """Whether ``did`` names, or named, an account or repo here."""
    return (
        await Account.exists(did=did)
        or await repo_row(database.client, did) is not None
        or await is_buried(did)
    )


def derived_did_web(handle: str) -> str:
    """A fresh did:web for ``handle`` (normalized, under a service domain)."""
    label, _, domain = handle.partition(".")
    suffix = base64.b32encode(secrets.token_bytes(DERIVED_SUFFIX_BYTES)).decode()
    return f"{DID_WEB_PREFIX}{label}-{suffix[:DERIVED_SUFFIX_CHARS].lower()}.{domain}"


async def new_did_web(database: Database, handle: str) -> str:
    """A did:web for a new account with ``handle`` that no account here ever had."""
    natural = DID_WEB_PREFIX + handle
    if not await did_was_used(database, natural):
        return natural
    for _ in range(DERIVATION_ATTEMPTS):
        candidate = derived_did_web(handle)
        if not await did_was_used(database, candidate):
            return candidate
    raise RuntimeError(f"no unused did:web found for {handle}")
