"""Lexicon documents of exprsn-pds's own namespaces (the official ones come from lexrpc)."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
