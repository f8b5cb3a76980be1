"""The errors of the data-model layer; both are ``ValueError``\\s."""

from __future__ import annotations


class DataModelError(ValueError):
    """A value, block or string is not valid under the atproto data model.

    ``path`` locates the offending value inside the whole (keys and list indexes,
    outermost first); ``str(error)`` shows it, e.g. ``floats are not allowed (at a.b[2])``.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str | int] = []

    def inside(self, key: str | int) -> DataModelError:
        """Record that the offending value sits under ``key``; called while unwinding."""
        self.path.insert(0, key)
        return self

    def __str__(self) -> str:
        if not self.path:
            return self.problem
        where = "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in self.path)
        return f"{self.problem} (at {where.removeprefix('.')})"


class CarError(DataModelError):
    """A CAR file is truncated, malformed, or holds a block that does not match its CID."""
