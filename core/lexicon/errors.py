"""The three ways lexicon work can fail: a bad schema, bad data, or an unknown lexicon."""

from __future__ import annotations


class LexiconError(Exception):
    """A lexicon document is malformed, duplicated, or refers to a def that does not exist.

    These are set-up errors: they stop start-up. The message names the lexicon id and def.
    """


class LexiconNotFound(LookupError):
    """No lexicon (or def) with the requested id is registered."""


class LexiconValidationError(ValueError):
    """Data does not match its lexicon.

    ``path`` locates the bad value, e.g. ``Record/formats/did``; ``reason`` says what is
    wrong with it, e.g. ``must be a valid did``; the message is the two joined.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason
