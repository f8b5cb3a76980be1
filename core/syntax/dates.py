"""The lexicon ``datetime`` format: RFC 3339 and ISO 8601 at once, with a timezone.

Parsing checks the syntax *and* the meaning: month 00, hour 25 or an instant before
year 0 (``0000-01-01T00:00:00+01:00``) are rejected.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Self

from .base import InvalidSyntax, SyntaxString

_DATETIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?:Z|(?P<sign>[+-])(?P<offset_hours>[0-9]{2}):(?P<offset_minutes>[0-9]{2}))"
)
_NEGATIVE_ZERO_OFFSET = "-00:00"
_MICROSECOND_DIGITS = 6
_US_PER_MILLISECOND = 1000
_US_PER_SECOND = 1_000_000
_SECONDS_PER_DAY = 86_400
_SECONDS_PER_HOUR = 3_600
_SECONDS_PER_MINUTE = 60
_HOURS_PER_DAY = 24
_MINUTES_PER_HOUR = 60
# Year 0 is not a Python date. It is a leap year like year 4, which starts this many days
# later, so a year-0 date is checked and counted as the same date in year 4, shifted back.
_YEAR_ZERO_STAND_IN = 4
_DAYS_FROM_YEAR_ZERO_TO_STAND_IN = 366 + 365 * 3
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_YEAR_ZERO_ORDINAL = (
    dt.date(_YEAR_ZERO_STAND_IN, 1, 1).toordinal() - _DAYS_FROM_YEAR_ZERO_TO_STAND_IN
)
_EARLIEST_US = (_YEAR_ZERO_ORDINAL - _EPOCH_ORDINAL) * _SECONDS_PER_DAY * _US_PER_SECOND
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _day_ordinal(year: int, month: int, day: int) -> int:
    """Proleptic Gregorian day number (1 = 0001-01-01), also for year 0."""
    try:
        if year == 0:
            stand_in = dt.date(_YEAR_ZERO_STAND_IN, month, day).toordinal()
            return stand_in - _DAYS_FROM_YEAR_ZERO_TO_STAND_IN
        return dt.date(year, month, day).toordinal()
    except ValueError:
        raise InvalidSyntax("no such date") from None


def _epoch_us(value: str) -> int:
    """Microseconds since the UNIX epoch of ``value``; :class:`InvalidSyntax` says why not."""
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise InvalidSyntax(
            'must look like "1985-04-12T23:20:50.123Z": date, upper-case "T", time with '
            'whole seconds, optional fraction, then "Z" or "+hh:mm"/"-hh:mm"'
        )
    if value.endswith(_NEGATIVE_ZERO_OFFSET):
        raise InvalidSyntax('the offset "-00:00" is not allowed')
    ordinal = _day_ordinal(int(match["year"]), int(match["month"]), int(match["day"]))
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    if hour >= _HOURS_PER_DAY or minute >= _MINUTES_PER_HOUR or second >= _SECONDS_PER_MINUTE:
        raise InvalidSyntax("no such time of day")
    offset = 0
    if match["sign"] is not None:
        offset_hours, offset_minutes = int(match["offset_hours"]), int(match["offset_minutes"])
        if offset_hours >= _HOURS_PER_DAY or offset_minutes >= _MINUTES_PER_HOUR:
            raise InvalidSyntax("no such timezone offset")
        offset = offset_hours * _SECONDS_PER_HOUR + offset_minutes * _SECONDS_PER_MINUTE
        if match["sign"] == "-":
            offset = -offset
    seconds = (
        (ordinal - _EPOCH_ORDINAL) * _SECONDS_PER_DAY
        + hour * _SECONDS_PER_HOUR
        + minute * _SECONDS_PER_MINUTE
        + second
        - offset
    )
    fraction = (match["fraction"] or "")[:_MICROSECOND_DIGITS].ljust(_MICROSECOND_DIGITS, "0")
    instant_us = seconds * _US_PER_SECOND + int(fraction)
    if instant_us < _EARLIEST_US:
        raise InvalidSyntax("earlier than year 0")
    return instant_us


class Datetime(SyntaxString):
    """A valid lexicon datetime such as ``1985-04-12T23:20:50.123Z``, kept as written.

    The string is never re-formatted, so records round-trip byte for byte.
    """

    __slots__ = ()

    kind = "datetime"

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not a valid datetime, or ``None``."""
        try:
            _epoch_us(value)
        except InvalidSyntax as error:
            return str(error)
        return None

    @classmethod
    def from_datetime(cls, moment: dt.datetime) -> Self:
        """The preferred form of an aware datetime: UTC, milliseconds, ``Z``."""
        if moment.tzinfo is None:
            raise ValueError("a lexicon datetime needs a timezone")
        utc = moment.astimezone(dt.UTC)
        return cls(
            f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
            f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
            f".{utc.microsecond // _US_PER_MILLISECOND:03d}Z"
        )

    @property
    def epoch_us(self) -> int:
        """Microseconds since the UNIX epoch (negative before 1970)."""
        return _epoch_us(self)

    def to_datetime(self) -> dt.datetime:
        """This instant as an aware UTC datetime; ``OverflowError`` before year 1."""
        return _UNIX_EPOCH + dt.timedelta(microseconds=self.epoch_us)
