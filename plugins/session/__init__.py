"""The ``session`` plugin: accounts and their sessions (``com.atproto.server.*``).

createAccount (and reserveSigningKey for accounts moving here), sessions (create,
refresh, get, delete), app passwords, the account's own lifecycle (checkAccountStatus,
deactivateAccount, activateAccount, deleteAccount) and what goes by e-mailed code:
confirming and changing the e-mail address, resetting the password, deleting the
account. It needs a mailer (``pds_mailer``).
"""

from __future__ import annotations

from exprsn_pds import (
    Pds,
    PluginStartupError,
    XrpcRegistrar,
    access_auth,
    account_full_auth,
    account_standard_auth,
    full_access_auth,
    hookimpl,
    refresh_auth,
)
from exprsn_pds.plugins.session import (
    accounts,
    app_passwords,
    email_address,
    recovery,
    sessions,
    signing_keys,
)
from exprsn_pds.ratelimit.official import (
    CREATE_ACCOUNT_5MIN,
    CREATE_SESSION_5MIN,
    CREATE_SESSION_DAY,
    EMAIL_REQUEST_DAY,
    EMAIL_REQUEST_HOUR,
    PASSWORD_RESET_REQUEST_DAY,
    PASSWORD_RESET_REQUEST_HOUR,
    RESERVE_SIGNING_KEY_5MIN,
    TOKEN_REDEMPTION_5MIN,
)

SERVER = "com.atproto.server"
EMAIL_LIMITS = [EMAIL_REQUEST_HOUR, EMAIL_REQUEST_DAY]


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar, pds: Pds) -> None:
    """Serve account creation, sessions, app passwords, account status and e-mail codes."""
    if not pds.has_mailer:
        raise PluginStartupError(
            "the session plugin e-mails codes: enable the mailer plugin, or another"
            " plugin that provides pds_mailer"
        )
    registry.add(
        f"{SERVER}.createAccount",
        accounts.create_account_handler,
        rate_limits=[CREATE_ACCOUNT_5MIN],
    )
    registry.add(
        f"{SERVER}.reserveSigningKey",
        signing_keys.reserve_signing_key,
        rate_limits=[RESERVE_SIGNING_KEY_5MIN],
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
    _register_email_methods(registry)


def _register_email_methods(registry: XrpcRegistrar) -> None:
    registry.add(
        f"{SERVER}.requestEmailConfirmation",
        email_address.request_email_confirmation,
        auth=account_standard_auth,
        rate_limits=EMAIL_LIMITS,
    )
    registry.add(f"{SERVER}.confirmEmail", email_address.confirm_email, auth=account_standard_auth)
    registry.add(
        f"{SERVER}.requestEmailUpdate",
        email_address.request_email_update,
        auth=account_full_auth,
        rate_limits=EMAIL_LIMITS,
    )
    registry.add(f"{SERVER}.updateEmail", email_address.update_email, auth=account_full_auth)
    registry.add(
        f"{SERVER}.requestPasswordReset",
        recovery.request_password_reset,
        rate_limits=[PASSWORD_RESET_REQUEST_HOUR, PASSWORD_RESET_REQUEST_DAY],
    )
    registry.add(
        f"{SERVER}.resetPassword", recovery.reset_password, rate_limits=[TOKEN_REDEMPTION_5MIN]
    )
    registry.add(
        f"{SERVER}.requestAccountDelete",
        recovery.request_account_delete,
        auth=account_full_auth,
        rate_limits=EMAIL_LIMITS,
    )
    registry.add(
        f"{SERVER}.deleteAccount", recovery.delete_account, rate_limits=[TOKEN_REDEMPTION_5MIN]
    )
