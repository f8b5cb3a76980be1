"""Lexicons: the registry of schema documents and the validators compiled from them.

Typical start-up::

    registry = LexiconRegistry()
    registry.add_folder(lexrpc_lexicon_folder(), namespaces=["com.atproto", "app.bsky"])
    registry.freeze()
    registry.validate_record("app.bsky.feed.post", record)
"""

from .errors import LexiconError, LexiconNotFound, LexiconValidationError
from .loading import lexrpc_lexicon_folder
from .registry import LexiconRegistry

__all__ = [
    "LexiconError",
    "LexiconNotFound",
    "LexiconRegistry",
    "LexiconValidationError",
    "lexrpc_lexicon_folder",
]
