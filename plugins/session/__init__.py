"""The ``session`` plugin: accounts and their sessions (``com.atproto.server.*``).

createAccount, sessions (create, refresh, get, delete), app passwords and the
account's own lifecycle (checkAccountStatus, deactivateAccount, activateAccount).
"""

from __future__ import annotations

from exprsn_pds import XrpcRegistrar, hookimpl
from exprsn_pds.auth import access_auth, full_access_auth, refresh_auth
from exprsn_pds.plugins.session import accounts, app_passwords, sessions
from exprsn_pds.ratelimit.official import (
    CREATE_ACCOUNT_5MIN,
    CREATE_SESSION_5MIN,
    CREATE_SESSION_DAY,
)

SERVER = "com.atproto.server"


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve account creation, sessions, app passwords and account status."""
    registry.add(
        f"{SERVER}.createAccount",
        accounts.create_account_handler,
        rate_limits=[CREATE_ACCOUNT_5MIN],
    )
    registry.add(
        f"{SERVER}.createSession",
        sessions.create_session,
        rate_limits=[CREATE_SESSION_5MIN, CREATE_SESSION_DAY],
    )
    registry.add(f"{SERVER}.refreshSession", sessions.refresh_session, auth=refresh_auth)
    registry.add(f"{SERVER}.deleteSession", sessions.delete_session, auth=refresh_auth)
    registry.add(f"{SERVER}.getSession", sessions.get_session, auth=access_auth)
    registry.add(
        f"{SERVER}.createAppPassword", app_passwords.create_app_password, auth=full_access_auth
    )
    registry.add(
        f"{SERVER}.listAppPasswords", app_passwords.list_app_passwords, auth=full_access_auth
    )
    registry.add(
        f"{SERVER}.revokeAppPassword", app_passwords.revoke_app_password, auth=full_access_auth
    )
    registry.add(f"{SERVER}.checkAccountStatus", accounts.check_account_status, auth=access_auth)
    registry.add(f"{SERVER}.deactivateAccount", accounts.deactivate_account, auth=full_access_auth)
    registry.add(f"{SERVER}.activateAccount", accounts.activate_account, auth=full_access_auth)
