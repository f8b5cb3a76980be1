"""DID documents in the form atproto uses (Multikey verification method)."""

from __future__ import annotations

from typing import Any

from exprsn_pds.crypto import PublicKey

DID_CONTEXT = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/suites/secp256k1-2019/v1",
]
ATPROTO_KEY_ID = "#atproto"
PDS_SERVICE_ID = "#atproto_pds"
PDS_SERVICE_TYPE = "AtprotoPersonalDataServer"


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
        "service": [
            {
                "id": PDS_SERVICE_ID,
                "type": PDS_SERVICE_TYPE,
                "serviceEndpoint": pds_endpoint,
            }
        ],
    }
