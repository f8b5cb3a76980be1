"""Subscription framing: a DAG-CBOR header followed by a DAG-CBOR body, per message."""

from __future__ import annotations

import libipld

from exprsn_pds.errors import XrpcError
from exprsn_pds.xrpc.types import SubscriptionMessage

MESSAGE_OP = 1
ERROR_OP = -1


def encode_message(message: SubscriptionMessage) -> bytes:
    """``{op: 1, t: "#type"}`` + body."""
    header = {"op": MESSAGE_OP, "t": message.type}
    return bytes(libipld.encode_dag_cbor(header)) + bytes(libipld.encode_dag_cbor(message.body))


def encode_error(error: XrpcError) -> bytes:
    """``{op: -1}`` + ``{error, message}``."""
    return bytes(libipld.encode_dag_cbor({"op": ERROR_OP})) + bytes(
        libipld.encode_dag_cbor(error.to_json())
    )
