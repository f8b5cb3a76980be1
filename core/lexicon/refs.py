"""Lexicon references: ``nsid``, ``nsid#name`` and the local form ``#name``.

The canonical form of a reference to a ``main`` def is the bare NSID; every other def is
``nsid#name``. Registries key their defs by canonical reference.
"""

from __future__ import annotations

from ..syntax import Nsid

MAIN = "main"


def canonical(ref: str, base_id: str | None = None) -> str:
    """The canonical form of ``ref``; a local ``#name`` is resolved against ``base_id``."""
    nsid, _, name = ref.partition("#")
    if not nsid:
        if base_id is None:
            raise ValueError(f"local reference {ref!r} outside a lexicon")
        nsid = base_id
    return nsid if name in ("", MAIN) else f"{nsid}#{name}"


def split(ref: str) -> tuple[str, str]:
    """(nsid, def name) of a canonical or ``#main``-suffixed reference."""
    nsid, _, name = ref.partition("#")
    return nsid, name or MAIN


def is_valid_ref(ref: str, *, allow_local: bool = True) -> bool:
    """Whether ``ref`` has reference syntax: ``nsid``, ``nsid#name`` or (if allowed) ``#name``."""
    nsid, hash_sign, name = ref.partition("#")
    if hash_sign and (not name or "#" in name):
        return False
    if not nsid:
        return allow_local and bool(name)
    return Nsid.is_valid(nsid)
