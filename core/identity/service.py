"""Identity of the accounts hosted here, and resolution of everyone else's.

- :meth:`IdentityService.create_did`: a new account's DID: did:plc through the directory
  when ``identity.did_plc_url`` is set, otherwise a did:web of the handle never used
  before (:mod:`exprsn_pds.identity.did_web`).
- :meth:`IdentityService.resolve_did` / :meth:`IdentityService.resolve_handle`: hosted
  accounts from the database, others over the network, cached in ``pds.cache``.
- :meth:`IdentityService.update_handle`: the rules of ``updateHandle``, the PLC update,
  the new handle and its ``#identity`` event in one transaction.
"""

from exprsn_pds.identity.handle_updates import HandleUpdates


class IdentityService(HandleUpdates):
    """DIDs and handles: creating (:mod:`~exprsn_pds.identity.did_creation`), resolving
    (:mod:`~exprsn_pds.identity.resolution`) and updating them
    (:mod:`~exprsn_pds.identity.handle_updates`), on the state of
    :class:`~exprsn_pds.identity.base.IdentityBase`."""
