"""Subscription framing: a DAG-CBOR header followed by a DAG-CBOR body, per message.

Bodies are data-model values (links as :class:`~exprsn_pds.datamodel.Cid`, byte strings
as ``bytes``), encoded with :func:`exprsn_pds.datamodel.encode`.
"""

from __future__ import annotations

from exprsn_pds.datamodel import encode
from exprsn_pds.errors import XrpcError
from exprsn_pds.xrpc.types import SubscriptionMessage

MESSAGE_OP = 1
ERROR_OP = -1


def encode_message(message: SubscriptionMessage) -> bytes:
    """``{op: 1, t: "#type"}`` + body."""
    return encode({"op": MESSAGE_OP, "t": message.type}) + encode(message.body)


def encode_error(error: XrpcError) -> bytes:
    """``{op: -1}`` + ``{error, message}``."""
    return encode({"op": ERROR_OP}) + encode(error.to_json())
