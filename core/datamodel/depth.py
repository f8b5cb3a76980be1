"""How deeply a value nests: the bound on data that comes from outside the server.

A list or a map is one level, a list inside it two, and so on; a scalar is none. Values
from clients are held to a configured number of levels (``xrpc.max_nesting_levels``), so
nothing further in (validators, codecs, the JSON encoder) runs out of stack on them.
"""

from __future__ import annotations

from typing import Any

from exprsn_pds.datamodel.errors import DataModelError


def too_deep(max_levels: int) -> DataModelError:
    """The error for a value nested more than ``max_levels`` levels deep."""
    return DataModelError(f"nested more than {max_levels} levels deep")


def check_depth(value: Any, max_levels: int) -> None:
    """Raise :class:`DataModelError` if ``value`` nests more than ``max_levels`` levels.

    Walks lists and dicts (and their subclasses) without recursion, so a hostile value
    cannot exhaust the stack here either.
    """
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        if level > max_levels:
            raise too_deep(max_levels)
        pending.extend((child, level) for child in children if isinstance(child, dict | list))
