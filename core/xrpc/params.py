"""Query-string parameters as the lexicon validator wants them."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from exprsn_pds.errors import InvalidRequest

NUL = "\x00"


def query_params(args: MultiDict[str, str]) -> dict[str, str | list[str]]:
    """Repeated keys become lists (``?a=1&a=2``); single ones stay strings.

    A value with a NUL character is refused (400): no parameter has a use for one, and
    text with it can reach neither PostgreSQL nor a URL.
    """
    collected: dict[str, str | list[str]] = {}
    for key in args:
        values = args.getlist(key)
        if any(NUL in value for value in values):
            raise InvalidRequest(f"Params/{key} must not contain NUL characters")
        collected[key] = values if len(values) > 1 else values[0]
    return collected
