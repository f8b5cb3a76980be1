"""Query-string parameters as the lexicon validator wants them."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from werkzeug.datastructures import MultiDict

from exprsn_pds.errors import InvalidRequest

NUL = "\x00"


def query_params(args: MultiDict[str, str], raw: bytes) -> dict[str, str | list[str]]:
    """Repeated keys become lists (``?a=1&a=2``); single ones stay strings.

    ``raw`` is the query string as sent: once percent-decoded it must be UTF-8 (werkzeug
    would quietly turn anything else into U+FFFD). A value with a NUL character is
    refused too: no parameter has a use for one, and text with it can reach neither
    PostgreSQL nor a URL. Both are 400.
    """
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRequest(f"Query string is not UTF-8 (byte {error.start})") from None
    collected: dict[str, str | list[str]] = {}
    for key in args:
        values = args.getlist(key)
        if any(NUL in value for value in values):
            raise InvalidRequest(f"Params/{key} must not contain NUL characters")
        collected[key] = values if len(values) > 1 else values[0]
    return collected
