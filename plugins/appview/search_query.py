"""``app.bsky.feed.searchPosts``'s query: the lexicon parameters and the ``q`` syntax
as one :class:`PostSearch`, and the keys a post is found by.

``q`` is split at white space (a double-quoted run is one phrase); every term must hold:

- ``word``, ``"a phrase"``: the post text holds the words (in that order, for a phrase),
  each matched by its English stem; punctuation is ignored, so ``AND``, ``OR``, ``NEAR``
  are plain words and ``*``, ``(``, ``"`` nothing;
- ``word*``: a word of the text starts with ``word``;
- ``from:X`` (``X`` a handle, a DID or ``me``): the author, as the ``author`` parameter;
- ``mentions:X``, ``to:X``: a mention facet names ``X``, as the ``mentions`` parameter;
- ``lang:xx``, ``domain:host``, ``url:URL``, ``#tag``: as the parameters;
- ``since:``, ``until:``: a date (``YYYY-MM-DD``) or datetime, as the parameters.

An operator whose value cannot be used (``since:yesterday``) is searched as text. The
filters other than author and time are exact keys (:mod:`.search_keys`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from exprsn_pds import InvalidRequest
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.plugins.appview.search_keys import (
    DOMAIN,
    LANG,
    MENTION,
    TAG,
    URL,
    key,
    normal_domain,
    normal_url,
)

LATEST: Final = "latest"
TOP: Final = "top"
MAX_TAGS: Final = 10
MAX_TAG_LENGTH: Final = 640
ME: Final = "me"
MAX_TERMS: Final = 64
"""Terms (words, phrases, operators) ``q`` may hold."""
TAG_END: Final = ".,;:!?"

_TERM: Final = re.compile(r'"([^"]*)"?|(\S+)')
_WORD: Final = re.compile(r"\w", re.UNICODE)
_PREFIX: Final = re.compile(r"[^\W_]+", re.UNICODE)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def search_time(value: str) -> str | None:
    """``since``/``until`` in the index's datetime form: a date is its midnight UTC, a
    datetime without a zone is UTC; ``None`` for neither."""
    value = value.strip()
    if _DATE.fullmatch(value):
        value += "T00:00:00Z"
    return iso_time(value) or iso_time(value + "Z")


@dataclass(frozen=True)
class PostSearch:
    """What a post must hold to match; every field narrows the search.

    ``authors`` and ``mentions`` are handles or DIDs until :meth:`resolved` makes them
    DIDs; the store takes only a resolved search."""

    phrases: tuple[str, ...] = ()
    """Words or phrases of the text (raw: the store's full-text syntax quotes them)."""
    prefixes: tuple[str, ...] = ()
    """Word prefixes (letters and digits only)."""
    authors: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    sort: str = LATEST

    def identifiers(self) -> list[str]:
        """The handles and DIDs to resolve (authors and mentioned accounts), each once."""
        return list(dict.fromkeys([*self.authors, *self.mentions]))

    def resolved(self, dids: Mapping[str, str]) -> PostSearch | None:
        """The search with :meth:`identifiers` replaced by their DIDs (``dids``, e.g. from
        ``actors.resolve_actors``), or ``None`` if one is unknown (no post can match)."""
        if any(i not in dids for i in self.identifiers()):
            return None
        return replace(
            self,
            authors=tuple(dict.fromkeys(dids[i] for i in self.authors)),
            mentions=tuple(dict.fromkeys(dids[i] for i in self.mentions)),
        )

    def keys(self) -> list[str]:
        """The index keys a matching post holds (see :func:`.search_keys.index_keys`)."""
        keys = [key(MENTION, did) for did in self.mentions]
        keys += [key(LANG, lang.strip().lower()) for lang in self.langs]
        keys += [key(DOMAIN, normal_domain(domain)) for domain in self.domains]
        keys += [key(URL, normal_url(url)) for url in self.urls]
        keys += [key(TAG, tag.lower()) for tag in self.tags]
        return list(dict.fromkeys(keys))

    def is_empty(self) -> bool:
        """Whether nothing narrows the search (then it finds nothing)."""
        return not (self.phrases or self.prefixes or self.authors or self.keys())


def _operator(search: dict[str, Any], name: str, value: str, viewer: str | None) -> bool:
    """Apply ``name:value`` of ``q`` to ``search``; whether it was one."""
    if name in ("from", "mentions", "to") and value:
        if value == ME:
            if viewer is None:
                raise InvalidRequest(f"{name}:me needs a signed-in viewer")
            value = viewer
        field = "authors" if name == "from" else "mentions"
        search[field].append(value.removeprefix("@"))
        return True
    listed = {"lang": "langs", "domain": "domains", "url": "urls"}
    if name in listed and value:
        search[listed[name]].append(value)
        return True
    if name in ("since", "until") and (when := search_time(value)) is not None:
        search[name] = when
        return True
    return False


def _text_term(search: dict[str, Any], term: str) -> None:
    if term.startswith("#") and _WORD.search(tag := term[1:].rstrip(TAG_END)):
        search["tags"].append(tag)
    elif term.endswith("*") and _PREFIX.fullmatch(stem := term.rstrip("*")):
        search["prefixes"].append(stem)
    elif _WORD.search(term):
        search["phrases"].append(term)


def _parse_q(q: str, search: dict[str, Any], viewer: str | None) -> None:
    terms = list(_TERM.finditer(q))
    if len(terms) > MAX_TERMS:
        raise InvalidRequest(f"The search query holds more than {MAX_TERMS} terms")
    for match in terms:
        phrase, term = match.group(1), match.group(2)
        if phrase is not None:
            if _WORD.search(phrase):
                search["phrases"].append(phrase)
            continue
        name, colon, value = term.partition(":")
        if colon and _operator(search, name.lower(), value, viewer):
            continue
        _text_term(search, term)


def _param_time(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    when = search_time(str(value))
    if when is None:
        raise InvalidRequest(f"Invalid {name}: expected a date or datetime")
    return when


def _param_tags(params: Mapping[str, Any]) -> list[str]:
    tags = params.get("tag") or []
    tags = [tags] if isinstance(tags, str) else list(tags)
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_LENGTH for t in tags):
        raise InvalidRequest(f"At most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters")
    return [t.removeprefix("#") for t in tags]


def parse_search(params: Mapping[str, Any], viewer: str | None) -> PostSearch:
    """The search of ``searchPosts``'s parameters (``q`` and the filters; ``viewer`` for
    ``from:me``). 400 ``InvalidRequest`` for a bad ``since``/``until``, too many or too
    long tags, more than :data:`MAX_TERMS` terms in ``q``, or ``from:me`` without a
    viewer."""
    search: dict[str, Any] = {
        name: [] for name in ("phrases", "prefixes", "authors", "mentions", "langs")
    }
    search |= {"domains": [], "urls": [], "tags": _param_tags(params)}
    search |= {"since": _param_time(params, "since"), "until": _param_time(params, "until")}
    for name, field in (
        ("author", "authors"),
        ("mentions", "mentions"),
        ("lang", "langs"),
        ("domain", "domains"),
        ("url", "urls"),
    ):
        if params.get(name):
            search[field].append(str(params[name]))
    _parse_q(str(params.get("q", "")), search, viewer)
    lists = {name: tuple(value) for name, value in search.items() if isinstance(value, list)}
    sort = TOP if params.get("sort") == TOP else LATEST
    return PostSearch(**lists, since=search["since"], until=search["until"], sort=sort)
