"""The lexicon ``cid`` string format: a CIDv1 in a multibase string encoding.

This is a syntax check only: the string must carry a multibase prefix and use only
that base's characters. Decoding and hash checks belong to the data-model layer.
"""

from __future__ import annotations

import string

from .base import SyntaxString

#: Longest CID string accepted, in characters.
CID_STRING_MAX_LENGTH = 256

_BASE32 = string.ascii_lowercase + "234567"
_BASE32HEX = string.digits + "abcdefghijklmnopqrstuv"
_BASE36 = string.digits + string.ascii_lowercase
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE64 = string.ascii_letters + string.digits + "+/"
_BASE64URL = string.ascii_letters + string.digits + "-_"

# Multibase prefix character -> the characters that may follow it.
_ALPHABETS: dict[str, frozenset[str]] = {
    prefix: frozenset(alphabet)
    for prefix, alphabet in {
        "7": "01234567",
        "9": string.digits,
        "f": "0123456789abcdef",
        "F": "0123456789ABCDEF",
        "b": _BASE32,
        "B": _BASE32.upper(),
        "c": _BASE32 + "=",
        "C": _BASE32.upper() + "=",
        "v": _BASE32HEX,
        "V": _BASE32HEX.upper(),
        "t": _BASE32HEX + "=",
        "T": _BASE32HEX.upper() + "=",
        "h": "ybndrfg8ejkmcpqxot1uwisza345h769",
        "k": _BASE36,
        "K": _BASE36.upper(),
        "z": _BASE58,
        "Z": _BASE58,
        "m": _BASE64,
        "M": _BASE64 + "=",
        "u": _BASE64URL,
        "U": _BASE64URL + "=",
    }.items()
}


class CidString(SyntaxString):
    """A string that has the syntax of a multibase-encoded CIDv1 (lexicon format ``cid``)."""

    __slots__ = ()

    kind = "CID"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a CID string, or ``None``."""
        if len(value) > CID_STRING_MAX_LENGTH:
            return f"longer than {CID_STRING_MAX_LENGTH} characters"
        alphabet = _ALPHABETS.get(value[:1])
        if alphabet is None:
            return "must start with a multibase prefix (CIDv0 is not supported)"
        if len(value) < 2 or not alphabet.issuperset(value[1:]):
            return "must be encoded in the base its multibase prefix names"
        return None
