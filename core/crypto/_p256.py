"""P-256 ("p256", secp256r1) ECDSA through OpenSSL (``cryptography``).

Signing is deterministic (RFC 6979). OpenSSL may return a high-S signature; the caller
normalises it.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_SCALAR_BYTES = 32
_CURVE = ec.SECP256R1()
_SIGN = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
_VERIFY = ec.ECDSA(hashes.SHA256())


class P256Signer:
    """A P-256 private key that signs SHA-256(message)."""

    __slots__ = ("_key",)

    def __init__(self, secret: bytes) -> None:
        self._key = ec.derive_private_key(int.from_bytes(secret, "big"), _CURVE)

    def sign(self, message: bytes) -> bytes:
        """Compact r || s signature over SHA-256(message), possibly high-S."""
        r, s = decode_dss_signature(self._key.sign(message, _SIGN))
        return r.to_bytes(_SCALAR_BYTES, "big") + s.to_bytes(_SCALAR_BYTES, "big")

    def compressed_point(self) -> bytes:
        """The public key as a 33-byte compressed SEC1 point."""
        return self._key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


class P256Verifier:
    """A P-256 public key that checks signatures over SHA-256(message)."""

    __slots__ = ("_key",)

    def __init__(self, point: bytes) -> None:
        self._key = ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, point)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether a compact r || s signature (r and s already range-checked) is valid."""
        r = int.from_bytes(signature[:_SCALAR_BYTES], "big")
        s = int.from_bytes(signature[_SCALAR_BYTES:], "big")
        try:
            self._key.verify(encode_dss_signature(r, s), message, _VERIFY)
        except InvalidSignature:
            return False
        return True

    def compressed_point(self) -> bytes:
        """The key as a 33-byte compressed SEC1 point."""
        return self._key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
