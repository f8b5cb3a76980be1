"""Column-aware checks: a value a text column cannot hold is refused before any SQL runs.

Tortoise runs a field's validators on every value it writes and on every value it
compares the field with (``filter(field=...)``, ``__gt``, ``__in``). :func:`guard_text_columns`
gives every text field of every model (plugins' included) two of them:

- :class:`ColumnLength` in place of tortoise's own length check on ``CharField``\\s: the
  same limit, with a message that does not repeat the (possibly huge) value;
- :class:`NoNulCharacter`: PostgreSQL text cannot hold U+0000 (SQLite can, and is held
  to the same rule so both databases answer alike).

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


class NoNulCharacter(Validator):
    """Refuses text with a NUL character, which PostgreSQL cannot store."""

    def __call__(self, value: Any) -> None:
        """Refuse a string holding U+0000."""
        if isinstance(value, str) and NUL in value:
            raise ValidationError("must not contain NUL characters")


def guard_text_columns(models: Iterable[type[Model]]) -> None:
    """Give every ``CharField`` and ``TextField`` of ``models`` the column checks (once)."""
    for model in models:
        for field in model._meta.fields_map.values():
            if not isinstance(field, fields.CharField | fields.TextField):
                continue
            if any(isinstance(check, NoNulCharacter) for check in field.validators):
                continue
            field.validators = [
                ColumnLength(check.max_length) if isinstance(check, MaxLengthValidator) else check
                for check in field.validators
            ]
            field.validators.append(NoNulCharacter())
