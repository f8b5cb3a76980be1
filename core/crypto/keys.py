"""ECDSA key pairs of both atproto curves, and their did:key / Multikey string forms.

Signatures are 64-byte compact ``r || s`` over SHA-256 of the message, always low-S when
produced; verification accepts nothing else (no DER, no high-S), as the atproto
cryptography spec requires.
"""

from __future__ import annotations

import secrets

import libipld

from exprsn_pds.crypto.curves import CURVES, Curve, CurveParams, Signer, Verifier
from exprsn_pds.crypto.errors import InvalidKey
from exprsn_pds.syntax.base import quote

#: Length of a private key scalar and of each half of a compact signature.
SCALAR_BYTES = 32
SIGNATURE_BYTES = 2 * SCALAR_BYTES
COMPRESSED_POINT_BYTES = 33
UNCOMPRESSED_POINT_BYTES = 65
_COMPRESSED_POINT_TAGS = (0x02, 0x03)
_UNCOMPRESSED_POINT_TAG = 0x04
#: Multibase prefix of base58btc, the only base did:key and Multikey use.
BASE58BTC_PREFIX = "z"
DID_KEY_PREFIX = "did:key:"


def _curve_params(curve: Curve | str) -> CurveParams:
    try:
        return CURVES[Curve(curve)]
    except ValueError:
        supported = ", ".join(CURVES)
        raise InvalidKey(f"unsupported curve {curve!r} (supported: {supported})") from None


class PrivateKey:
    """A signing key. Build one with :meth:`generate` or :meth:`from_bytes`."""

    __slots__ = ("_params", "_public", "_secret", "_signer")

    def __init__(self, params: CurveParams, secret: bytes, signer: Signer) -> None:
        self._params = params
        self._secret = secret
        self._signer = signer
        self._public = _load_public(params, signer.compressed_point())

    @classmethod
    def generate(cls, curve: Curve | str) -> PrivateKey:
        """A fresh random key on ``curve`` (``"k256"`` or ``"p256"``)."""
        params = _curve_params(curve)
        while True:
            secret = secrets.token_bytes(SCALAR_BYTES)
            if 0 < int.from_bytes(secret, "big") < params.order:
                return cls(params, secret, params.signer(secret))

    @classmethod
    def from_bytes(cls, raw: bytes, curve: Curve | str) -> PrivateKey:
        """Load a key from its 32-byte big-endian scalar; :class:`InvalidKey` if unusable."""
        params = _curve_params(curve)
        if len(raw) != SCALAR_BYTES or not 0 < int.from_bytes(raw, "big") < params.order:
            raise InvalidKey(f"a {params.curve} private key is a scalar in [1, n) of 32 bytes")
        return cls(params, bytes(raw), params.signer(raw))

    @property
    def curve(self) -> Curve:
        """The curve of this key."""
        return self._params.curve

    @property
    def jwt_alg(self) -> str:
        """``alg`` of JWTs this key signs: ``ES256K`` or ``ES256``."""
        return self._params.jwt_alg

    def to_bytes(self) -> bytes:
        """The 32-byte big-endian private scalar. Keep it secret; encrypt it at rest."""
        return self._secret

    def public_key(self) -> PublicKey:
        """The matching public key."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """64-byte compact ``r || s`` signature over SHA-256(message), always low-S.

        Signing is deterministic (RFC 6979): the same key and message give the same bytes.
        """
        signature = self._signer.sign(message)
        s = int.from_bytes(signature[SCALAR_BYTES:], "big")
        if s > self._params.half_order:
            low_s = self._params.order - s
            signature = signature[:SCALAR_BYTES] + low_s.to_bytes(SCALAR_BYTES, "big")
        return signature

    def __repr__(self) -> str:
        return f"PrivateKey(curve={self.curve.value!r}, public={self._public.did_key()!r})"


class PublicKey:
    """A verifying key. Build one with :meth:`from_compressed`, :meth:`from_uncompressed`,
    :func:`parse_did_key` or :func:`parse_multikey`; equal when curve and point are equal.
    """

    __slots__ = ("_compressed", "_params", "_verifier")

    def __init__(self, params: CurveParams, compressed: bytes, verifier: Verifier) -> None:
        self._params = params
        self._compressed = compressed
        self._verifier = verifier

    @classmethod
    def from_compressed(cls, data: bytes, curve: Curve | str) -> PublicKey:
        """Load a 33-byte compressed SEC1 point; :class:`InvalidKey` if not on the curve."""
        if len(data) != COMPRESSED_POINT_BYTES or data[0] not in _COMPRESSED_POINT_TAGS:
            raise InvalidKey("a compressed public key is 33 bytes starting with 0x02 or 0x03")
        return _load_public(_curve_params(curve), data)

    @classmethod
    def from_uncompressed(cls, data: bytes, curve: Curve | str) -> PublicKey:
        """Load a 65-byte uncompressed SEC1 point; :class:`InvalidKey` if not on the curve."""
        if len(data) != UNCOMPRESSED_POINT_BYTES or data[0] != _UNCOMPRESSED_POINT_TAG:
            raise InvalidKey("an uncompressed public key is 65 bytes starting with 0x04")
        return _load_public(_curve_params(curve), data)

    @property
    def curve(self) -> Curve:
        """The curve of this key."""
        return self._params.curve

    @property
    def jwt_alg(self) -> str:
        """``alg`` of JWTs this key verifies: ``ES256K`` or ``ES256``."""
        return self._params.jwt_alg

    def compressed(self) -> bytes:
        """The key as a 33-byte compressed SEC1 point."""
        return self._compressed

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid 64-byte low-S ``r || s`` over SHA-256(message).

        DER-encoded and high-S signatures are invalid in atproto and answer False.
        """
        if len(signature) != SIGNATURE_BYTES:
            return False
        r = int.from_bytes(signature[:SCALAR_BYTES], "big")
        s = int.from_bytes(signature[SCALAR_BYTES:], "big")
        if not (0 < r < self._params.order and 0 < s <= self._params.half_order):
            return False
        return self._verifier.verify(message, signature)

    def multibase(self) -> str:
        """Multikey form: ``z`` + base58btc(multicodec prefix + compressed point)."""
        encoded: str = libipld.encode_multibase(
            BASE58BTC_PREFIX, self._params.multicodec_prefix + self._compressed
        )
        return encoded

    def did_key(self) -> str:
        """The ``did:key:`` DID of this key."""
        return DID_KEY_PREFIX + self.multibase()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return self.curve == other.curve and self._compressed == other._compressed

    def __hash__(self) -> int:
        return hash((self.curve, self._compressed))

    def __repr__(self) -> str:
        return f"PublicKey({self.did_key()!r})"


def _load_public(params: CurveParams, point: bytes) -> PublicKey:
    try:
        verifier = params.verifier(bytes(point))
    except ValueError:
        raise InvalidKey(f"the point is not on the {params.curve} curve") from None
    return PublicKey(params, verifier.compressed_point(), verifier)


def parse_multikey(multibase: str) -> PublicKey:
    """The public key of a Multikey string (``publicKeyMultibase`` of a DID document)."""
    if not multibase.startswith(BASE58BTC_PREFIX):
        raise InvalidKey(f"a Multikey is base58btc and starts with 'z': {quote(multibase)}")
    try:
        _, data = libipld.decode_multibase(multibase)
    except ValueError:
        raise InvalidKey(f"not valid base58btc: {quote(multibase)}") from None
    for params in CURVES.values():
        prefix = params.multicodec_prefix
        if data.startswith(prefix):
            try:
                return PublicKey.from_compressed(data[len(prefix) :], params.curve)
            except InvalidKey as error:
                raise InvalidKey(f"{error}: {quote(multibase)}") from None
    raise InvalidKey(f"not a k256 or p256 Multikey: {quote(multibase)}")


def parse_did_key(did: str) -> PublicKey:
    """The public key of a ``did:key:`` DID."""
    if not did.startswith(DID_KEY_PREFIX):
        raise InvalidKey(f"a did:key starts with {DID_KEY_PREFIX!r}: {quote(did)}")
    return parse_multikey(did.removeprefix(DID_KEY_PREFIX))
