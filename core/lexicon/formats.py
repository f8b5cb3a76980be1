"""The lexicon string formats and the check each one names."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..syntax import (
    AtIdentifier,
    AtUri,
    CidString,
    Datetime,
    Did,
    Handle,
    Language,
    Nsid,
    RecordKey,
    Tid,
    Uri,
)

#: Lexicon ``format`` name -> predicate telling whether a string has that format.
STRING_FORMATS: Mapping[str, Callable[[str], bool]] = {
    "at-identifier": AtIdentifier.is_valid,
    "at-uri": AtUri.is_valid,
    "cid": CidString.is_valid,
    "datetime": Datetime.is_valid,
    "did": Did.is_valid,
    "handle": Handle.is_valid,
    "language": Language.is_valid,
    "nsid": Nsid.is_valid,
    "record-key": RecordKey.is_valid,
    "tid": Tid.is_valid,
    "uri": Uri.is_valid,
}
