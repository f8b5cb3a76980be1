"""The shared shape of every protocol primitive: a ``str`` that is valid by construction."""

from __future__ import annotations

from typing import ClassVar, Self

#: Longest value quoted back in an error message; longer ones are cut.
_QUOTE_MAX_CHARS = 80


class InvalidSyntax(ValueError):
    """A string is not valid for the protocol primitive it was parsed as."""


def quote(value: str) -> str:
    """``repr`` of ``value`` for an error message, shortened when it is very long."""
    if len(value) <= _QUOTE_MAX_CHARS:
        return repr(value)
    return repr(value[:_QUOTE_MAX_CHARS]) + f"... ({len(value)} chars)"


class SyntaxString(str):
    """Base class of the string primitives.

    Constructing an instance checks the syntax, so an instance is always valid;
    ``parse`` is the spelled-out way to do it. Subclasses set ``kind`` (a name used
    in error messages) and implement ``problem``.
    """

    __slots__ = ()

    kind: ClassVar[str]

    def __new__(cls, value: str) -> Self:
        if not isinstance(value, str):
            raise InvalidSyntax(f"a {cls.kind} must be a string, not {type(value).__name__}")
        problem = cls.problem(value)
        if problem is not None:
            raise InvalidSyntax(f"invalid {cls.kind} {quote(value)}: {problem}")
        return super().__new__(cls, value)

    @classmethod
    def problem(cls, value: str) -> str | None:
        """Why ``value`` is not valid, or ``None`` when it is."""
        raise NotImplementedError

    @classmethod
    def parse(cls, value: str) -> Self:
        """Check ``value`` and return it as this type; raise :class:`InvalidSyntax` if bad."""
        return cls(value)

    @classmethod
    def is_valid(cls, value: object) -> bool:
        """Whether ``value`` is a string that :meth:`parse` accepts."""
        return isinstance(value, str) and cls.problem(value) is None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str.__repr__(self)})"
