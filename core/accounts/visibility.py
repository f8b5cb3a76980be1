"""Who may read a repo: the one check every read, sync and blob method makes.

A repo whose account is taken down or deactivated is hidden from everyone but its owner
(a session of the account itself) and the admin, who still read it as before. Hidden
repos answer with the official errors (``RepoTakendown``, ``RepoDeactivated``,
``RepoSuspended``); unknown ones with ``RepoNotFound``. Lifting the takedown or
reactivating makes the repo readable again: nothing is deleted.

The repo row's ``status`` is the account's standing: the account lifecycle updates both
in one transaction, so one row answers both questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from exprsn_pds.accounts.status import AccountStatus
from exprsn_pds.auth import ACCESS_KIND, ADMIN_KIND, Credentials
from exprsn_pds.errors import InvalidRequest, RepoNotFound
from exprsn_pds.repo.store import RepoRow, repo_row

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

#: The error each hidden standing answers with (as the official PDS names them).
STATUS_ERRORS = {
    AccountStatus.TAKENDOWN.value: ("RepoTakendown", "Repo has been takendown"),
    AccountStatus.DEACTIVATED.value: ("RepoDeactivated", "Repo has been deactivated"),
    "suspended": ("RepoSuspended", "Repo has been suspended"),
}


def sees_hidden_repos(caller: Credentials | None, did: str) -> bool:
    """Whether ``caller`` reads ``did``'s repo whatever its standing: admin or owner."""
    if caller is None:
        return False
    return caller.kind == ADMIN_KIND or (caller.kind == ACCESS_KIND and caller.did == did)


async def hosted_repo(pds: Pds, identifier: str) -> RepoRow:
    """The repo named by a DID or a local handle, whatever its standing; 400 RepoNotFound."""
    did = await pds.identity.resolve_to_did(identifier)
    repo = await repo_row(pds.database.client, did) if did else None
    if repo is None:
        raise RepoNotFound(identifier)
    return repo


async def visible_repo(pds: Pds, identifier: str, caller: Credentials | None) -> RepoRow:
    """The repo named by ``identifier``, if ``caller`` may read it; 400 with the reason if not.

    ``caller`` is the method's verified credentials (``None`` or anonymous: nobody).
    """
    repo = await hosted_repo(pds, identifier)
    check_visible(repo.status, repo.did, identifier, caller)
    return repo


def check_visible(status: str, did: str, identifier: str, caller: Credentials | None) -> None:
    """400 with the reason unless a repo of ``status`` is readable by ``caller``."""
    if status == AccountStatus.ACTIVE.value or sees_hidden_repos(caller, did):
        return
    if status not in STATUS_ERRORS:
        raise RepoNotFound(identifier)
    error, message = STATUS_ERRORS[status]
    raise InvalidRequest(f"{message}: {identifier}", error=error)
