"""The keys a post is found by: the exact filters of ``app.bsky.feed.searchPosts``
(mentioned accounts, links, domains, tags, languages), one word each in the full-text
index (the post's ``search_keys`` column).

A key is a kind letter and a hash of the value, letters only, so both databases'
tokenizers keep it one word and no text can be mistaken for it. A language is keyed by its
tag and its primary subtag (``en`` finds ``en-US``), a domain by its host (lower case,
without ``www.``), a URL by :func:`normal_url`, a tag in lower case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

MENTION: Final = "m"
TAG: Final = "t"
URL: Final = "u"
DOMAIN: Final = "d"
LANG: Final = "l"

MENTION_FEATURE: Final = "app.bsky.richtext.facet#mention"
LINK_FEATURE: Final = "app.bsky.richtext.facet#link"
TAG_FEATURE: Final = "app.bsky.richtext.facet#tag"

_LETTERS: Final = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_KEY_BYTES: Final = 10


def key(kind: str, value: str) -> str:
    """The index word of one filter value: ``kind`` and a hash of ``value``, letters only
    (so both databases' tokenizers keep it one word)."""
    digest = hashlib.blake2b(value.encode(), digest_size=_KEY_BYTES).hexdigest()
    return kind + digest.translate(_LETTERS)


def normal_domain(host: str) -> str:
    """A hostname as the domain filter compares it: lower case, no ``www.``, no dot at the
    end."""
    host = host.strip().lower().rstrip(".")
    return host.removeprefix("www.")


def normal_url(url: str) -> str:
    """A URL as the url filter compares it: scheme and host in lower case, no fragment,
    no ``/`` at the end of the path."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _domain_of(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return normal_domain(host) if host else None


def _lang_keys(lang: str) -> set[str]:
    lang = lang.strip().lower()
    return {key(LANG, lang), key(LANG, lang.split("-", 1)[0])} if lang else set()


def _link_keys(url: str) -> set[str]:
    domain = _domain_of(url)
    return {key(URL, normal_url(url)), *([key(DOMAIN, domain)] if domain else [])}


def _facet_keys(facets: Any) -> Iterator[str]:
    for facet in facets if isinstance(facets, list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type")
            if kind == MENTION_FEATURE and isinstance(did := feature.get("did"), str):
                yield key(MENTION, did)
            elif kind == LINK_FEATURE and isinstance(uri := feature.get("uri"), str):
                yield from _link_keys(uri)
            elif kind == TAG_FEATURE and isinstance(tag := feature.get("tag"), str):
                yield key(TAG, tag.lower())


def _external_uri(embed: Any) -> str | None:
    if isinstance(embed, dict) and isinstance(media := embed.get("media"), dict):
        embed = media
    external = embed.get("external") if isinstance(embed, dict) else None
    uri = external.get("uri") if isinstance(external, dict) else None
    return uri if isinstance(uri, str) else None


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def index_keys(post: Mapping[str, Any]) -> str | None:
    """The keys a post record (atproto JSON) is found by, space-separated (``None`` for
    none): its mention facets' DIDs, its link facets' and external embed's URLs and
    domains, its tag facets and ``tags``, its ``langs``."""
    keys = set(_facet_keys(post.get("facets")))
    if (external := _external_uri(post.get("embed"))) is not None:
        keys |= _link_keys(external)
    for tag in _strings(post.get("tags")):
        keys.add(key(TAG, tag.lower()))
    for lang in _strings(post.get("langs")):
        keys |= _lang_keys(lang)
    return " ".join(sorted(keys)) or None
