"""The two elliptic curves of atproto and what the protocol says about each.

See https://atproto.com/specs/cryptography: ``k256`` (secp256k1, JWT ``ES256K``) and
``p256`` (NIST P-256 / secp256r1, JWT ``ES256``). Public keys travel as 33-byte
compressed points; a multicodec varint prefix names the curve in did:key and Multikey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from exprsn_pds.crypto._k256 import K256Signer, K256Verifier
from exprsn_pds.crypto._p256 import P256Signer, P256Verifier


class Curve(StrEnum):
    """A supported curve, named as atproto names it."""

    K256 = "k256"
    P256 = "p256"


class Signer(Protocol):
    """A curve backend's private key."""

    def sign(self, message: bytes) -> bytes:
        """Compact r || s signature over SHA-256(message); S may be high."""

    def compressed_point(self) -> bytes:
        """The public key as a 33-byte compressed SEC1 point."""


class Verifier(Protocol):
    """A curve backend's public key."""

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether a compact r || s signature over SHA-256(message) is valid."""

    def compressed_point(self) -> bytes:
        """The key as a 33-byte compressed SEC1 point."""


@dataclass(frozen=True, slots=True)
class CurveParams:
    """Protocol constants of one curve and the backend that does its arithmetic."""

    curve: Curve
    #: ``alg`` of a JWT signed with this curve.
    jwt_alg: str
    #: Unsigned-varint multicodec code of the compressed public key (did:key, Multikey).
    multicodec_prefix: bytes
    #: Order n of the base point; a signature is low-S when s <= n // 2.
    order: int
    #: Load a private key from its 32-byte big-endian scalar (``ValueError`` if out of range).
    signer: Callable[[bytes], Signer]
    #: Load a public key from a SEC1 point (``ValueError`` if not on the curve).
    verifier: Callable[[bytes], Verifier]

    @property
    def half_order(self) -> int:
        """Largest s of a low-S signature."""
        return self.order // 2


CURVES: dict[Curve, CurveParams] = {
    Curve.K256: CurveParams(
        curve=Curve.K256,
        jwt_alg="ES256K",
        multicodec_prefix=bytes([0xE7, 0x01]),
        order=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
        signer=K256Signer,
        verifier=K256Verifier,
    ),
    Curve.P256: CurveParams(
        curve=Curve.P256,
        jwt_alg="ES256",
        multicodec_prefix=bytes([0x80, 0x24]),
        order=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
        signer=P256Signer,
        verifier=P256Verifier,
    ),
}
