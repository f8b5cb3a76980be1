"""Labels that cannot be taken as handles under the PDS's own domains.

The list lives in ``reserved_handles.txt`` beside this module (one label a line, ``#``
comments); see its header for where it comes from.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Final

DATA_FILE: Final = "reserved_handles.txt"


def _load() -> frozenset[str]:
    text = files(__package__ or "exprsn_pds.identity").joinpath(DATA_FILE).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


RESERVED_LABELS: Final = _load()
