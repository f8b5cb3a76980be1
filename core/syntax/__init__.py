"""Protocol primitives as small value types, validated once at the edge.

Every type is a ``str`` subclass that is valid by construction: ``Handle.parse(s)``
(or ``Handle(s)``) raises :class:`InvalidSyntax` for a bad value, ``Handle.is_valid(s)``
answers without raising, and ``str(value)`` is the value exactly as written.
"""

from .aturi import AtUri
from .base import InvalidSyntax, SyntaxString
from .cid import CidString
from .dates import Datetime
from .did import Did
from .handle import Handle
from .identifier import AtIdentifier
from .language import Language
from .nsid import Nsid
from .recordkey import RecordKey
from .tid import Tid, TidClock
from .uri import Uri

__all__ = [
    "AtIdentifier",
    "AtUri",
    "CidString",
    "Datetime",
    "Did",
    "Handle",
    "InvalidSyntax",
    "Language",
    "Nsid",
    "RecordKey",
    "SyntaxString",
    "Tid",
    "TidClock",
    "Uri",
]
