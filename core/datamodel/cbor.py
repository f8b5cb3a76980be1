"""DAG-CBOR: data-model values to blocks and back, fast (libipld) and exact.

In the data model a link is a :class:`Cid` and a byte string is ``bytes``. libipld
does not keep the two apart: it writes every ``bytes`` value that parses as a CID as a
link, and reads links back as ``bytes``; it also writes and reads floats. So:

- :func:`encode` lets libipld encode the value as given. That works only when the
  value holds no ``Cid``, and the block is kept only when it has none of the bytes that
  start a link (tag 42) or a float: one ``bytes.translate`` tells. Otherwise one tight
  pass checks the value (no floats, 64-bit integers, ``str`` keys) and swaps each
  ``Cid`` for its binary form, copying only the containers on the way to one (the input
  is never changed), and libipld encodes that. A ``bytes`` value that libipld could
  take for a CID sends the value to the pure-Python encoder
  (:mod:`exprsn_pds.datamodel.pycbor`) instead.
- :func:`decode` lets libipld decode (and strictly check) the block. A block without
  link or float head bytes is done. Otherwise libipld re-encodes what it read: if that
  gives back the block byte for byte, every ``bytes`` value libipld would write as a
  link was a link, and one pass turns those into ``Cid``\\s and checks the rest (no
  floats). If it does not (a byte string that looks like a CID, or a block encoded
  laxly), the pure-Python decoder reads the block.

Integers may use CBOR's whole 64-bit range (``-2**64`` to ``2**64 - 1``), as libipld
does; :func:`~exprsn_pds.datamodel.jsonform.json_to_ipld`, the edge where clients' data
comes in, holds them to the signed 64-bit range the atproto spec sets.
"""

from __future__ import annotations

from typing import Any

import libipld

from exprsn_pds.datamodel import pycbor
from exprsn_pds.datamodel.cid import Cid
from exprsn_pds.datamodel.depth import check_depth
from exprsn_pds.datamodel.errors import DataModelError
from exprsn_pds.datamodel.rules import (
    CBOR_INT_MAX,
    CBOR_INT_MIN,
    TOO_DEEP,
    check_cbor_int,
    could_be_link,
    not_allowed,
)

_LIBIPLD_ERRORS = (ValueError, TypeError, OverflowError)
# Every link starts with a tag-42 head (d8 2a, or d9/da/db from a lax encoder), every
# float with f9/fa/fb: a block without these bytes has neither.
_LINK_AND_FLOAT_HEADS = frozenset((0xD8, 0xD9, 0xDA, 0xDB, 0xF9, 0xFA, 0xFB))
_OTHER_BYTES = bytes(byte for byte in range(256) if byte not in _LINK_AND_FLOAT_HEADS)
_LINK_HEAD = 0xD8


class _LinkLookalike(Exception):
    """A ``bytes`` value that libipld would write as a link."""


def encode(value: object) -> bytes:
    """The DAG-CBOR block of a data-model value.

    ``bytes`` become byte strings, :class:`Cid`\\s links, ``dict`` keys must be ``str``;
    floats, integers beyond 64 bits and other types raise :class:`DataModelError`.
    """
    try:
        block: bytes = libipld.encode_dag_cbor(value)
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None
    except _LIBIPLD_ERRORS:
        return _encode_checked(value)
    if block.translate(None, _OTHER_BYTES):
        return _encode_checked(value)
    return block


def _encode_checked(value: object) -> bytes:
    try:
        prepared = _prepare_list([value])[0]
    except _LinkLookalike:
        return pycbor.encode(value)
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None
    except DataModelError as exc:
        exc.path.pop(0)  # the index in the wrapping list
        raise
    try:
        block: bytes = libipld.encode_dag_cbor(prepared)
    except _LIBIPLD_ERRORS as exc:
        raise DataModelError(f"cannot encode as DAG-CBOR: {exc}") from None
    return block


def _prepare_dict(mapping: dict[Any, Any]) -> dict[Any, Any]:
    """``mapping`` checked, with each :class:`Cid` in it replaced by its binary form."""
    out = mapping
    for key, item in mapping.items():
        if type(key) is not str and not isinstance(key, str):
            raise DataModelError(f"map keys must be strings, not {type(key).__name__}: {key!r}")
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int and CBOR_INT_MIN <= item <= CBOR_INT_MAX:
            continue
        if kind is Cid:
            new = item.bytes
        elif kind is bytes:
            if could_be_link(item):
                raise _LinkLookalike
            continue
        else:
            try:
                if kind is dict:
                    new = _prepare_dict(item)
                elif kind is list:
                    new = _prepare_list(item)
                else:
                    new = _prepare_other(item)
            except DataModelError as exc:
                exc.inside(key)
                raise
        if new is not item:
            if out is mapping:
                out = dict(mapping)
            out[key] = new
    return out


def _prepare_list(items: list[Any]) -> list[Any]:
    """``items`` checked, with each :class:`Cid` in it replaced by its binary form."""
    out = items
    for index, item in enumerate(items):
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int and CBOR_INT_MIN <= item <= CBOR_INT_MAX:
            continue
        if kind is Cid:
            new = item.bytes
        elif kind is bytes:
            if could_be_link(item):
                raise _LinkLookalike
            continue
        else:
            try:
                if kind is dict:
                    new = _prepare_dict(item)
                elif kind is list:
                    new = _prepare_list(item)
                else:
                    new = _prepare_other(item)
            except DataModelError as exc:
                exc.inside(index)
                raise
        if new is not item:
            if out is items:
                out = list(items)
            out[index] = new
    return out


def _prepare_other(value: object) -> object:
    """An item that is not a plain ``dict``, ``list`` or scalar, checked and made libipld-ready."""
    if isinstance(value, Cid):
        return value.bytes
    if isinstance(value, dict):
        return _prepare_dict(value)
    if isinstance(value, list):
        return _prepare_list(value)
    if isinstance(value, bytes):
        if could_be_link(value):
            raise _LinkLookalike
        return value
    if isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return check_cbor_int(value)
    raise not_allowed(value)


def decode(block: bytes, *, max_levels: int | None = None) -> Any:
    """The data-model value of a DAG-CBOR block: links as :class:`Cid`, byte strings as ``bytes``.

    Raises :class:`DataModelError` for anything that is not strict DAG-CBOR (as libipld
    checks it), for floats, for links that are not CIDv1, and, when ``max_levels`` is
    given (blocks from clients), for a value nested more than that many levels deep.
    """
    value = _decode(block)
    # Every level takes at least one byte, so a short block cannot be too deep.
    if max_levels is not None and len(block) > max_levels:
        check_depth(value, max_levels)
    return value


def _decode(block: bytes) -> Any:
    try:
        holder = [libipld.decode_dag_cbor(block)]
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None
    except _LIBIPLD_ERRORS as exc:
        raise DataModelError(f"not valid DAG-CBOR: {exc}") from None
    if not block.translate(None, _OTHER_BYTES):
        return holder[0]
    if libipld.encode_dag_cbor(holder[0]) != block:
        return pycbor.decode(block)
    try:
        _restore_list(holder)
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None
    except DataModelError as exc:
        exc.path.pop(0)  # the index in the holder
        raise
    return holder[0]


def _restore_dict(mapping: dict[str, Any]) -> None:
    """Check ``mapping`` (fresh from libipld) and turn its links into :class:`Cid`\\s."""
    for key, item in mapping.items():
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        try:
            if kind is bytes:
                if could_be_link(item):
                    mapping[key] = _restore_link(item)
            elif kind is dict:
                _restore_dict(item)
            elif kind is list:
                _restore_list(item)
            else:
                raise not_allowed(item)  # a float: libipld reads nothing else
        except DataModelError as exc:
            exc.inside(key)
            raise


def _restore_list(items: list[Any]) -> None:
    """Check ``items`` (fresh from libipld) and turn its links into :class:`Cid`\\s."""
    for index, item in enumerate(items):
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        try:
            if kind is bytes:
                if could_be_link(item):
                    items[index] = _restore_link(item)
            elif kind is dict:
                _restore_dict(item)
            elif kind is list:
                _restore_list(item)
            else:
                raise not_allowed(item)  # a float: libipld reads nothing else
        except DataModelError as exc:
            exc.inside(index)
            raise


def _restore_link(data: bytes) -> bytes | Cid:
    """``data`` from a block libipld reproduced: a :class:`Cid` if libipld writes it as a link."""
    try:
        return Cid(data)
    except DataModelError:
        if libipld.encode_dag_cbor(data)[0] == _LINK_HEAD:
            raise  # a link, but not to a CIDv1
        return data
