"""The lexicon ``language`` format: BCP 47 language tags (RFC 5646).

A tag must be well-formed per the RFC 5646 grammar, and two validity rules are checked
as well: no variant and no extension singleton may repeat (compared case-insensitively).
As the atproto test vectors require, the primary language subtag is an ISO 639 code of
two or three lowercase letters (the grammar's reserved 4-8 letter forms are refused).
"""

from __future__ import annotations

import re

from .base import SyntaxString

_LANGTAG = re.compile(
    r"""
    [a-z]{2,3} (?:-(?i:[a-z]{3})){0,3}                    # language, extended language subtags
    (?:-(?i:[a-z]{4}))?                                   # script
    (?:-(?i:[a-z]{2}|[0-9]{3}))?                          # region
    (?P<variants>(?:-(?i:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)
    (?P<extensions>(?:-(?i:[0-9a-wyz])(?:-(?i:[a-z0-9]{2,8}))+)*)
    (?:-(?i:x)(?:-(?i:[a-z0-9]{1,8}))+)?                   # private use
    """,
    re.VERBOSE,
)
_PRIVATE_USE = re.compile(r"(?i:x)(?:-(?i:[a-z0-9]{1,8}))+")
# Tags registered before RFC 4646 that the grammar lists by name.
_GRANDFATHERED = frozenset(
    (
        *("en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon"),
        *("i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu"),
        *("sgn-be-fr", "sgn-be-nl", "sgn-ch-de"),
        *("art-lojban", "cel-gaulish", "no-bok", "no-nyn"),
        *("zh-guoyu", "zh-hakka", "zh-min", "zh-min-nan", "zh-xiang"),
    )
)


def _repeats(subtags: list[str]) -> bool:
    folded = [subtag.lower() for subtag in subtags]
    return len(set(folded)) != len(folded)


class Language(SyntaxString):
    """A BCP 47 language tag such as ``en``, ``pt-BR`` or ``zh-Hant``."""

    __slots__ = ()

    kind = "language tag"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a valid language tag, or ``None``."""
        if value.lower() in _GRANDFATHERED or _PRIVATE_USE.fullmatch(value) is not None:
            return None
        match = _LANGTAG.fullmatch(value)
        if match is None:
            return "must be a well-formed BCP 47 tag starting with a lowercase ISO 639 code"
        if _repeats(match["variants"].split("-")[1:]):
            return "a variant subtag is repeated"
        singletons = [subtag for subtag in match["extensions"].split("-") if len(subtag) == 1]
        if _repeats(singletons):
            return "an extension singleton is repeated"
        return None
