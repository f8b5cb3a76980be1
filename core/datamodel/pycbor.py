"""A pure-Python DAG-CBOR codec for the data model: exact, and slower than libipld.

:mod:`exprsn_pds.datamodel.cbor` uses it only where libipld cannot keep links and
byte strings apart: writing a ``bytes`` value that parses as a CID, and reading a block
that libipld cannot re-encode byte for byte (it holds such a byte string, or was
encoded laxly, e.g. with over-wide heads). The decoder expects a block libipld has
already accepted (definite lengths, sorted unique keys); it still refuses anything it
cannot read rather than guess.
"""

from __future__ import annotations

from typing import Any

from exprsn_pds.datamodel.cid import Cid
from exprsn_pds.datamodel.errors import DataModelError
from exprsn_pds.datamodel.rules import TOO_DEEP, check_cbor_int, not_allowed

# CBOR major types (the top three bits of an item's first byte).
_UNSIGNED = 0
_NEGATIVE = 1
_BYTES = 2
_TEXT = 3
_ARRAY = 4
_MAP = 5
_TAG = 6
_SIMPLE = 7

_MAJOR_SHIFT = 5
_INFO_MASK = 0x1F
# Additional-information values: arguments below this are stored in the first byte;
# the others say how many bytes of argument follow.
_DIRECT_LIMIT = 24
_WIDTHS = ((24, 1), (25, 2), (26, 4))
_WIDEST = (27, 8)
_ARGUMENT_BYTES = dict((*_WIDTHS, _WIDEST))
_BITS_PER_BYTE = 8

_FALSE = 20
_TRUE = 21
_NULL = 22
# Half, single and double floats.
_FLOAT_INFOS = frozenset((25, 26, 27))
_SIMPLE_VALUES: dict[int, bool | None] = {_FALSE: False, _TRUE: True, _NULL: None}

#: CBOR tag of a link (an IPLD CID).
CID_TAG = 42
# A link's byte string starts with the identity multibase prefix.
_IDENTITY_MULTIBASE = b"\x00"


def _head(major: int, argument: int) -> bytes:
    """The minimal first bytes of an item of ``major`` type with ``argument``."""
    if argument < _DIRECT_LIMIT:
        return bytes((major << _MAJOR_SHIFT | argument,))
    info, size = next(
        ((info, size) for info, size in _WIDTHS if argument >> (_BITS_PER_BYTE * size) == 0),
        _WIDEST,
    )
    return bytes((major << _MAJOR_SHIFT | info,)) + argument.to_bytes(size, "big")


def encode(value: object) -> bytes:
    """The DAG-CBOR block of a data-model value; raise :class:`DataModelError` if invalid."""
    out = bytearray()
    try:
        _write(out, value)
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None
    return bytes(out)


def _write(out: bytearray, value: object) -> None:
    if value is None:
        out.append(_SIMPLE << _MAJOR_SHIFT | _NULL)
    elif isinstance(value, bool):
        out.append(_SIMPLE << _MAJOR_SHIFT | (_TRUE if value else _FALSE))
    elif isinstance(value, int):
        check_cbor_int(value)
        out += _head(_UNSIGNED, value) if value >= 0 else _head(_NEGATIVE, -1 - value)
    elif isinstance(value, str):
        out += _text(value)
    elif isinstance(value, bytes):
        out += _head(_BYTES, len(value))
        out += value
    elif isinstance(value, Cid):
        out += _head(_TAG, CID_TAG)
        out += _head(_BYTES, len(_IDENTITY_MULTIBASE) + len(value.bytes))
        out += _IDENTITY_MULTIBASE + value.bytes
    elif isinstance(value, list):
        out += _head(_ARRAY, len(value))
        for index, item in enumerate(value):
            try:
                _write(out, item)
            except DataModelError as exc:
                exc.inside(index)
                raise
    elif isinstance(value, dict):
        _write_map(out, value)
    else:
        raise not_allowed(value)


def _write_map(out: bytearray, mapping: dict[Any, Any]) -> None:
    entries = []
    for key, item in mapping.items():
        if not isinstance(key, str):
            raise DataModelError(f"map keys must be strings, not {type(key).__name__}: {key!r}")
        entries.append((_text(key), key, item))
    # DAG-CBOR orders keys by the length of their encoding, then bytewise.
    entries.sort(key=lambda entry: (len(entry[0]), entry[0]))
    out += _head(_MAP, len(entries))
    for encoded_key, key, item in entries:
        out += encoded_key
        try:
            _write(out, item)
        except DataModelError as exc:
            exc.inside(key)
            raise


def _text(value: str) -> bytes:
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DataModelError(f"string is not valid Unicode: {exc.reason}") from None
    return _head(_TEXT, len(data)) + data


def decode(block: bytes) -> Any:
    """The data-model value of a DAG-CBOR block; raise :class:`DataModelError` if unreadable."""
    try:
        value, end = _read(block, 0)
    except IndexError:
        raise DataModelError("DAG-CBOR block ends in the middle of an item") from None
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None
    if end != len(block):
        raise DataModelError(f"{len(block) - end} bytes after the DAG-CBOR item")
    return value


def _read(block: bytes, position: int) -> tuple[Any, int]:
    """The item at ``position`` and the position after it."""
    first = block[position]
    major, info = first >> _MAJOR_SHIFT, first & _INFO_MASK
    position += 1
    if major == _SIMPLE:
        if info in _SIMPLE_VALUES:
            return _SIMPLE_VALUES[info], position
        if info in _FLOAT_INFOS:
            raise DataModelError("floats are not allowed in the data model")
        raise DataModelError(f"unsupported CBOR simple value {info}")
    argument, position = _read_argument(block, position, info)
    if major == _UNSIGNED:
        return check_cbor_int(argument), position
    if major == _NEGATIVE:
        return check_cbor_int(-1 - argument), position
    if major in (_BYTES, _TEXT):
        end = position + argument
        if end > len(block):
            raise IndexError(end)
        if major == _BYTES:
            return block[position:end], end
        try:
            return block[position:end].decode("utf-8"), end
        except UnicodeDecodeError:
            raise DataModelError("text string is not valid UTF-8") from None
    if major == _ARRAY:
        items = []
        for index in range(argument):
            try:
                item, position = _read(block, position)
            except DataModelError as exc:
                exc.inside(index)
                raise
            items.append(item)
        return items, position
    if major == _MAP:
        return _read_map(block, position, argument)
    return _read_link(block, position, argument)


def _read_argument(block: bytes, position: int, info: int) -> tuple[int, int]:
    if info < _DIRECT_LIMIT:
        return info, position
    size = _ARGUMENT_BYTES.get(info)
    if size is None:
        raise DataModelError("indefinite-length or reserved CBOR item")
    end = position + size
    if end > len(block):
        raise IndexError(end)
    return int.from_bytes(block[position:end], "big"), end


def _read_map(block: bytes, position: int, count: int) -> tuple[dict[str, Any], int]:
    mapping: dict[str, Any] = {}
    for _ in range(count):
        key, position = _read(block, position)
        if not isinstance(key, str):
            raise DataModelError(f"map keys must be strings, not {type(key).__name__}")
        try:
            mapping[key], position = _read(block, position)
        except DataModelError as exc:
            exc.inside(key)
            raise
    return mapping, position


def _read_link(block: bytes, position: int, tag: int) -> tuple[Cid, int]:
    if tag != CID_TAG:
        raise DataModelError(f"unsupported CBOR tag {tag}")
    content, position = _read(block, position)
    if not isinstance(content, bytes) or not content.startswith(_IDENTITY_MULTIBASE):
        raise DataModelError("a link must be a byte string starting with 0x00")
    return Cid(content[len(_IDENTITY_MULTIBASE) :]), position
