"""Identity: DIDs and handles of hosted accounts, DID documents, resolution, did:plc.

- :class:`IdentityService` (``pds.identity``): create an account's DID, resolve DIDs and
  handles (hosted ones from the database, others over the network, cached), update handles.
- :mod:`~exprsn_pds.identity.handles`: which handles an account may take.
- :mod:`~exprsn_pds.identity.plc_ops` / :mod:`~exprsn_pds.identity.plc_client`: did:plc
  operations and the directory client.
- :mod:`~exprsn_pds.identity.did_document`: DID documents (Multikey), built and read.
"""

from exprsn_pds.identity.did_document import build_did_document
from exprsn_pds.identity.resolution import INVALID_HANDLE, IdentityInfo
from exprsn_pds.identity.service import IdentityService

__all__ = ["INVALID_HANDLE", "IdentityInfo", "IdentityService", "build_did_document"]
