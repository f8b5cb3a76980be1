"""Column-aware checks: a value a column cannot hold is refused before any SQL runs.

Tortoise runs a field's validators on every value it writes and on every value it
compares the field with (``filter(field=...)``, ``__gt``, ``__in``). :func:`guard_columns`
gives every field of every model (plugins' included) the checks its column needs:

- :class:`ColumnLength` in place of tortoise's own length check on ``CharField``\\s: the
  same limit, with a message that does not repeat the (possibly huge) value;
- :class:`NoNulCharacter` on text fields: PostgreSQL text cannot hold U+0000 (SQLite
  can, and is held to the same rule so both databases answer alike);
- :class:`ColumnRange` on integer fields: the column's range (32 bits for ``IntField``),
  which tortoise knows but does not check, and PostgreSQL refuses with an error.

A refusal is tortoise's ``ValidationError``; the app answers it as 400 ``InvalidRequest``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise import fields
from tortoise.exceptions import ValidationError
from tortoise.models import Model
from tortoise.validators import MaxLengthValidator, Validator

NUL = "\x00"


class ColumnLength(Validator):
    """A ``CharField``'s length limit, in characters as the database counts them."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __call__(self, value: Any) -> None:
        """Refuse ``None`` (the field's null check comes first) and over-long values."""
        if value is None:
            raise ValidationError("must not be null")
        if len(value) > self.max_length:
            raise ValidationError(f"longer than {self.max_length} characters")


class ColumnRange(Validator):
    """An integer column's range, e.g. 32-bit signed for ``IntField``."""

    def __init__(self, least: int, most: int) -> None:
        self.least = least
        self.most = most

    def __call__(self, value: Any) -> None:
        """Refuse an integer out of the column's range."""
        if isinstance(value, int) and not self.least <= value <= self.most:
            raise ValidationError(f"out of the range {self.least} to {self.most}")


class NoNulCharacter(Validator):
    """Refuses text with a NUL character, which PostgreSQL cannot store."""

    def __call__(self, value: Any) -> None:
        """Refuse a string holding U+0000."""
        if isinstance(value, str) and NUL in value:
            raise ValidationError("must not contain NUL characters")


def guard_columns(models: Iterable[type[Model]]) -> None:
    """Give every text and integer field of ``models`` its column checks (once)."""
    for model in models:
        for field in model._meta.fields_map.values():
            if any(isinstance(check, NoNulCharacter | ColumnRange) for check in field.validators):
                continue
            if isinstance(field, fields.CharField | fields.TextField):
                field.validators = [
                    ColumnLength(check.max_length)
                    if isinstance(check, MaxLengthValidator)
                    else check
                    for check in field.validators
                ]
                field.validators.append(NoNulCharacter())
            elif isinstance(field, fields.IntField):
                limits = field.constraints
                field.validators.append(ColumnRange(limits["ge"], limits["le"]))
