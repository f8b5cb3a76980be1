"""Identity: accounts' DIDs and handles, DID documents, resolution."""

from exprsn_pds.identity.did_document import build_did_document
from exprsn_pds.identity.service import INVALID_HANDLE, IdentityInfo, IdentityService

__all__ = ["INVALID_HANDLE", "IdentityInfo", "IdentityService", "build_did_document"]
