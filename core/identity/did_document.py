"""DID documents in the form atproto uses: building them (Multikey) and reading them."""

from __future__ import annotations

from typing import Any

import libipld

from exprsn_pds.crypto import Curve, InvalidKey, PublicKey, parse_multikey
from exprsn_pds.crypto.keys import UNCOMPRESSED_POINT_BYTES

DID_CONTEXT = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/suites/secp256k1-2019/v1",
]
ATPROTO_KEY_ID = "#atproto"
PDS_SERVICE_ID = "#atproto_pds"
PDS_SERVICE_TYPE = "AtprotoPersonalDataServer"
FEED_GENERATOR_SERVICE_ID = "#bsky_fg"
FEED_GENERATOR_SERVICE_TYPE = "BskyFeedGenerator"


def build_did_document(
    did: str, handle: str | None, signing_key: PublicKey, pds_endpoint: str
) -> dict[str, Any]:
    """The DID document of an account hosted here."""
    return {
        "@context": DID_CONTEXT,
        "id": did,
        "alsoKnownAs": [f"at://{handle}"] if handle else [],
        "verificationMethod": [
            {
                "id": f"{did}{ATPROTO_KEY_ID}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": signing_key.multibase(),
            }
        ],
        "service": [_pds_service(pds_endpoint)],
    }


def build_service_did_document(
    did: str, pds_endpoint: str, *, feed_generator: bool = False
) -> dict[str, Any]:
    """The DID document of this server's own did:web: the PDS service endpoint and, when
    it generates feeds (``feed_generator``), the ``#bsky_fg`` feed generator service."""
    services = [_pds_service(pds_endpoint)]
    if feed_generator:
        services.append(
            {
                "id": FEED_GENERATOR_SERVICE_ID,
                "type": FEED_GENERATOR_SERVICE_TYPE,
                "serviceEndpoint": pds_endpoint,
            }
        )
    return {"@context": DID_CONTEXT[:1], "id": did, "service": services}


def _pds_service(pds_endpoint: str) -> dict[str, str]:
    return {"id": PDS_SERVICE_ID, "type": PDS_SERVICE_TYPE, "serviceEndpoint": pds_endpoint}


# --- Reading documents -------------------------------------------------------------------

AT_URI_PREFIX = "at://"
MULTIKEY_TYPE = "Multikey"
# Older documents name the curve in the type and carry the bare key bytes.
LEGACY_KEY_TYPES = {
    "EcdsaSecp256k1VerificationKey2019": Curve.K256,
    "EcdsaSecp256r1VerificationKey2019": Curve.P256,
}


def _find_by_id(document: dict[str, Any], field: str, fragment: str) -> dict[str, Any] | None:
    entries = document.get(field)
    if not isinstance(entries, list):
        return None
    wanted = {fragment, f"{document.get('id')}{fragment}"}
    for entry in entries:
        if isinstance(entry, dict) and entry.get("id") in wanted:
            return entry
    return None


def verification_key(document: dict[str, Any], key_id: str = "atproto") -> PublicKey | None:
    """The public key ``#<key_id>`` of a DID document (Multikey or legacy form), or ``None``."""
    method = _find_by_id(document, "verificationMethod", f"#{key_id}")
    if method is None or not isinstance(method.get("publicKeyMultibase"), str):
        return None
    multibase: str = method["publicKeyMultibase"]
    try:
        if method.get("type") == MULTIKEY_TYPE:
            return parse_multikey(multibase)
        curve = LEGACY_KEY_TYPES.get(str(method.get("type")))
        if curve is None or not multibase.startswith("z"):
            return None
        _, raw = libipld.decode_multibase(multibase)
        if len(raw) == UNCOMPRESSED_POINT_BYTES:
            return PublicKey.from_uncompressed(raw, curve)
        return PublicKey.from_compressed(raw, curve)
    except (InvalidKey, ValueError):
        return None


def handle_of(document: dict[str, Any]) -> str | None:
    """The handle a DID document claims (its first ``at://`` alias), or ``None``."""
    aliases = document.get("alsoKnownAs")
    if not isinstance(aliases, list):
        return None
    for alias in aliases:
        if isinstance(alias, str) and alias.startswith(AT_URI_PREFIX):
            return alias.removeprefix(AT_URI_PREFIX)
    return None


def pds_endpoint_of(document: dict[str, Any]) -> str | None:
    """The ``#atproto_pds`` service endpoint of a DID document, or ``None``."""
    service = _find_by_id(document, "service", PDS_SERVICE_ID)
    if service is None or service.get("type") != PDS_SERVICE_TYPE:
        return None
    endpoint = service.get("serviceEndpoint")
    return endpoint if isinstance(endpoint, str) else None
