"""TIDs: timestamp identifiers, and a clock that issues them (atproto spec "TID")."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Self

from .base import SyntaxString

#: The base32-sortable alphabet; its order is the sort order of TIDs.
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
#: Characters in every TID.
TID_LENGTH = 13
#: Low bits of a TID that hold the clock identifier.
CLOCK_ID_BITS = 10
#: Bits that hold the timestamp, in microseconds since the UNIX epoch.
TIMESTAMP_BITS = 53

_BITS_PER_CHAR = 5
_CHAR_MASK = (1 << _BITS_PER_CHAR) - 1
_CLOCK_ID_MASK = (1 << CLOCK_ID_BITS) - 1
_TIMESTAMP_LIMIT = 1 << TIMESTAMP_BITS
_DIGITS = {char: index for index, char in enumerate(TID_ALPHABET)}
# The spec allows only the first half of the alphabet as the first character.
_FIRST_CHARS = TID_ALPHABET[: len(TID_ALPHABET) // 2]
_TID = re.compile(rf"[{_FIRST_CHARS}][{TID_ALPHABET}]{{{TID_LENGTH - 1}}}")


class Tid(SyntaxString):
    """A syntactically valid TID such as ``3jzfcijpj2z2a``; TIDs sort in time order."""

    __slots__ = ()

    kind = "TID"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a TID, or ``None``."""
        if _TID.fullmatch(value) is None:
            return (
                f"must be {TID_LENGTH} characters of {TID_ALPHABET}, "
                f"the first one of {_FIRST_CHARS}"
            )
        return None

    @classmethod
    def from_parts(cls, timestamp_us: int, clock_id: int) -> Self:
        """The TID of a timestamp (microseconds since the epoch) and a 10-bit clock id."""
        if not 0 <= timestamp_us < _TIMESTAMP_LIMIT:
            raise ValueError(f"TID timestamp out of range: {timestamp_us}")
        if not 0 <= clock_id <= _CLOCK_ID_MASK:
            raise ValueError(f"TID clock id out of range: {clock_id}")
        number = (timestamp_us << CLOCK_ID_BITS) | clock_id
        chars = [
            TID_ALPHABET[(number >> (_BITS_PER_CHAR * place)) & _CHAR_MASK]
            for place in reversed(range(TID_LENGTH))
        ]
        return cls("".join(chars))

    def to_int(self) -> int:
        """The 64-bit integer this TID encodes."""
        number = 0
        for char in self:
            number = (number << _BITS_PER_CHAR) | _DIGITS[char]
        return number

    @property
    def timestamp_us(self) -> int:
        """Microseconds since the UNIX epoch."""
        return self.to_int() >> CLOCK_ID_BITS

    @property
    def clock_id(self) -> int:
        """The 10-bit clock identifier."""
        return self.to_int() & _CLOCK_ID_MASK


def _wall_clock_us() -> int:
    return time.time_ns() // 1000


class TidClock:
    """Issues TIDs that never repeat and never go backwards, even if the wall clock does.

    ``clock_id`` defaults to a random 10-bit value; ``now_us`` (microseconds since the
    epoch) defaults to the system clock and exists so tests can drive time.
    The clock is safe to share between threads.
    """

    def __init__(
        self, clock_id: int | None = None, now_us: Callable[[], int] = _wall_clock_us
    ) -> None:
        if clock_id is None:
            clock_id = secrets.randbelow(_CLOCK_ID_MASK + 1)
        if not 0 <= clock_id <= _CLOCK_ID_MASK:
            raise ValueError(f"TID clock id out of range: {clock_id}")
        self._clock_id = clock_id
        self._now_us = now_us
        self._last_us = -1
        self._lock = threading.Lock()

    @property
    def clock_id(self) -> int:
        """The clock identifier stamped into every TID this clock issues."""
        return self._clock_id

    def next(self) -> Tid:
        """A TID later than every TID this clock issued before."""
        with self._lock:
            timestamp_us = max(self._now_us(), self._last_us + 1)
            self._last_us = timestamp_us
        return Tid.from_parts(timestamp_us, self._clock_id)
