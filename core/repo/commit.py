"""Signed repository commits (version 3): build, sign, parse and verify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exprsn_pds.crypto import PrivateKey, PublicKey
from exprsn_pds.datamodel import Cid, DataModelError, decode, encode

COMMIT_VERSION = 3
SIGNATURE_LENGTH = 64


class InvalidCommit(ValueError):
    """A block is not a well-formed or correctly signed commit."""


@dataclass(frozen=True)
class Commit:
    """A commit object: ``{did, version, data, rev, prev, sig}``."""

    did: str
    data: Cid
    rev: str
    prev: Cid | None
    sig: bytes

    def unsigned(self) -> dict[str, Any]:
        """The fields the signature covers."""
        return {
            "did": self.did,
            "version": COMMIT_VERSION,
            "data": self.data,
            "rev": self.rev,
            "prev": self.prev,
        }

    def block(self) -> bytes:
        """The commit's DAG-CBOR block."""
        return encode({**self.unsigned(), "sig": self.sig})

    def verify(self, key: PublicKey) -> bool:
        """Whether ``sig`` is ``key``'s signature over the unsigned commit."""
        return key.verify(encode(self.unsigned()), self.sig)


def sign_commit(
    *, did: str, data: Cid, rev: str, key: PrivateKey, prev: Cid | None = None
) -> Commit:
    """A new commit of ``data`` at ``rev``, signed by ``key``."""
    unsigned = Commit(did=did, data=data, rev=rev, prev=prev, sig=b"")
    return Commit(did=did, data=data, rev=rev, prev=prev, sig=key.sign(encode(unsigned.unsigned())))


def signed_commit_block(*, did: str, data: Cid, rev: str, key: PrivateKey) -> tuple[Cid, bytes]:
    """The CID and DAG-CBOR block of a new commit of ``data`` at ``rev``, signed by ``key``."""
    block = sign_commit(did=did, data=data, rev=rev, key=key).block()
    return Cid.for_dag_cbor(block), block


def parse_commit(block: bytes) -> Commit:
    """Decode and check the shape of a commit block (not its signature)."""
    try:
        value = decode(block)
    except DataModelError as error:
        raise InvalidCommit(f"commit block is not DAG-CBOR: {error}") from error
    if not isinstance(value, dict):
        raise InvalidCommit("commit block is not a map")
    if value.get("version") != COMMIT_VERSION:
        raise InvalidCommit(f"unsupported commit version {value.get('version')!r}")
    did, data, rev, prev, sig = (value.get(k) for k in ("did", "data", "rev", "prev", "sig"))
    if not isinstance(did, str) or not isinstance(rev, str):
        raise InvalidCommit("commit did and rev must be strings")
    if not isinstance(data, Cid) or not (prev is None or isinstance(prev, Cid)):
        raise InvalidCommit("commit data must be a link and prev a link or null")
    if not isinstance(sig, bytes) or len(sig) != SIGNATURE_LENGTH:
        raise InvalidCommit("commit sig must be a 64-byte signature")
    return Commit(did=did, data=data, rev=rev, prev=prev, sig=sig)
