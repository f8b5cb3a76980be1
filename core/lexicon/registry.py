"""The lexicon registry: load documents, freeze, then look up and validate."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import refs
from .compiler import METHOD_TYPES, Compiled, CompiledMethod, compile_defs
from .errors import LexiconError, LexiconNotFound, LexiconValidationError
from .loading import in_namespaces, read_folder
from .params import RawParams
from .schema_document import check_document
from .validators import Check, Invalid

_RECORD_ROOT = "Record"
_PARAMS_ROOT = "Params"
_INPUT_ROOT = "Input"
_OUTPUT_ROOT = "Output"
_VALUE_ROOT = "Value"


def _located(error: Invalid, root: str) -> LexiconValidationError:
    return LexiconValidationError("/".join([root, *reversed(error.segments)]), error.reason)


def _run(check: Check, value: Any, root: str) -> None:
    try:
        check(value)
    except Invalid as error:
        raise _located(error, root) from None


class LexiconRegistry:
    """Every lexicon the server knows, loaded once at start-up.

    Add documents and folders, then :meth:`freeze`: it checks that every reference
    resolves and compiles the validators. After that the registry is read-only and
    the ``validate_*`` methods may be used.
    """

    def __init__(self) -> None:
        self._documents: dict[str, dict[str, Any]] = {}
        self._sources: dict[str, str] = {}
        self._compiled: Compiled | None = None

    # -- loading -----------------------------------------------------------------------

    def add_document(self, document: Mapping[str, Any], source: str = "<memory>") -> None:
        """Add one lexicon document after checking its structure.

        ``source`` names where it came from in error messages. A second document with
        the same id is refused, naming both sources.
        """
        if self._compiled is not None:
            raise LexiconError(f"the registry is frozen; cannot add a lexicon from {source}")
        try:
            lexicon_id = check_document(document)
        except LexiconError as error:
            raise LexiconError(f"{source}: {error}") from None
        if lexicon_id in self._documents:
            raise LexiconError(
                f"duplicate lexicon {lexicon_id}: from {self._sources[lexicon_id]} and {source}"
            )
        self._documents[lexicon_id] = copy.deepcopy(dict(document))
        self._sources[lexicon_id] = source

    def add_folder(
        self,
        path: Path,
        namespaces: Sequence[str] | None = None,
        source: str | None = None,
    ) -> None:
        """Add every ``*.json`` under ``path`` (recursively, in sorted order).

        With ``namespaces`` (e.g. ``["com.atproto", "app.bsky"]``) only lexicons whose id
        is, or lies under, one of them are added. ``source`` labels the folder in errors.
        """
        wanted = tuple(namespaces) if namespaces is not None else None
        for file, document in read_folder(path):
            if wanted is not None:
                lexicon_id = document.get("id") if isinstance(document, dict) else None
                if isinstance(lexicon_id, str) and not in_namespaces(lexicon_id, wanted):
                    continue
            label = str(file) if source is None else f"{source} ({file.relative_to(path)})"
            self.add_document(document, label)

    def freeze(self) -> None:
        """Resolve every reference and compile the validators; no more additions after this.

        An unresolved reference raises :class:`LexiconError` naming the lexicon and def.
        """
        if self._compiled is not None:
            return
        defs = {
            refs.canonical(f"{lexicon_id}#{name}"): (lexicon_id, schema)
            for lexicon_id, document in self._documents.items()
            for name, schema in document["defs"].items()
        }
        self._compiled = compile_defs(defs)

    # -- lookups -----------------------------------------------------------------------

    def ids(self) -> list[str]:
        """The ids of all registered lexicons, sorted."""
        return sorted(self._documents)

    def get_def(self, ref: str) -> Mapping[str, Any]:
        """The schema of a def: ``"nsid#name"``, or ``"nsid"`` for its ``main`` def.

        The schema is the registry's own copy: read it, do not change it.
        """
        nsid, name = refs.split(ref)
        try:
            schema: Mapping[str, Any] = self._documents[nsid]["defs"][name]
        except KeyError:
            raise LexiconNotFound(f"no lexicon def {ref}") from None
        return schema

    def main_type(self, nsid: str) -> str | None:
        """The type of the ``main`` def of ``nsid`` ("query", "record", ...), if it has one."""
        document = self._documents.get(nsid)
        main = document["defs"].get(refs.MAIN) if document is not None else None
        return None if main is None else str(main["type"])

    def methods(self) -> Iterator[tuple[str, str]]:
        """(NSID, type) of every query, procedure and subscription, sorted by NSID."""
        for nsid in self.ids():
            kind = self.main_type(nsid)
            if kind is not None and kind in METHOD_TYPES:
                yield nsid, kind

    def record_key_type(self, nsid: str) -> str:
        """The record key type of a record lexicon: 'tid', 'nsid', 'any' or 'literal:<key>'."""
        return str(self._record_def(nsid)["key"])

    def _record_def(self, nsid: str) -> Mapping[str, Any]:
        if self.main_type(nsid) != "record":
            raise LexiconNotFound(f"no record lexicon {nsid}")
        return self.get_def(nsid)

    def _method(self, nsid: str) -> CompiledMethod:
        method = self._frozen().methods.get(nsid)
        if method is None:
            raise LexiconNotFound(f"no query, procedure or subscription lexicon {nsid}")
        return method

    def input_encoding(self, nsid: str) -> str | None:
        """The declared input MIME type of a procedure, or ``None`` if it takes no input."""
        return self._method(nsid).input_encoding

    def output_encoding(self, nsid: str) -> str | None:
        """The declared output MIME type of a method, or ``None`` if it has no output."""
        return self._method(nsid).output_encoding

    def errors(self, nsid: str) -> set[str]:
        """The error names a method declares."""
        return set(self._method(nsid).errors)

    # -- validation --------------------------------------------------------------------

    def _frozen(self) -> Compiled:
        if self._compiled is None:
            raise LexiconError("the lexicon registry must be frozen before it validates")
        return self._compiled

    def validate_value(self, ref: str, value: Any) -> None:
        """Validate ``value`` against any value def (object, record, string, array ...)."""
        canonical = refs.canonical(ref)
        check = self._frozen().values.get(canonical)
        if check is None:
            kind = self.get_def(canonical)["type"]  # LexiconNotFound for an unknown def
            raise LexiconError(f"{canonical} is a {kind} def, which describes no value")
        _run(check, value, _VALUE_ROOT)

    def validate_record(self, nsid: str, value: Any) -> None:
        """Validate a record of collection ``nsid``; its ``$type`` must be ``nsid``."""
        self._record_def(nsid)
        check = self._frozen().values[nsid]
        if not isinstance(value, dict):
            raise LexiconValidationError(_RECORD_ROOT, "must be an object")
        if value.get("$type") != nsid:
            raise LexiconValidationError(f"{_RECORD_ROOT}/$type", f"must be {nsid!r}")
        _run(check, value, _RECORD_ROOT)

    def validate_params(
        self, nsid: str, params: RawParams, *, max_unbounded_bytes: int | None = None
    ) -> dict[str, Any]:
        """Typed parameters of a method from query-string text.

        Integers and booleans ("true"/"false") are parsed, repeated names give arrays,
        defaults are filled in and unknown names are dropped. A string parameter the
        lexicon sets no ``maxLength`` for may be at most ``max_unbounded_bytes`` long
        (UTF-8), when given. A missing required or malformed parameter raises
        :class:`LexiconValidationError` naming it.
        """
        coerce = self._method(nsid).params
        if coerce is None:
            return {}
        try:
            return coerce(params, max_unbounded_bytes)
        except Invalid as error:
            raise _located(error, _PARAMS_ROOT) from None

    def validate_input(self, nsid: str, body: Any) -> None:
        """Validate a procedure's request body against ``input.schema`` (if it has one)."""
        check = self._method(nsid).input
        if check is not None:
            _run(check, body, _INPUT_ROOT)

    def validate_output(self, nsid: str, body: Any) -> None:
        """Validate a method's response body against ``output.schema`` (if it has one)."""
        check = self._method(nsid).output
        if check is not None:
            _run(check, body, _OUTPUT_ROOT)
