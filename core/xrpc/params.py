"""Query-string parameters as the lexicon validator wants them."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict


def query_params(args: MultiDict[str, str]) -> dict[str, str | list[str]]:
    """Repeated keys become lists (``?a=1&a=2``); single ones stay strings."""
    collected: dict[str, str | list[str]] = {}
    for key in args:
        values = args.getlist(key)
        collected[key] = values if len(values) > 1 else values[0]
    return collected
