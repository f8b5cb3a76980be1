"""The ``admin`` plugin: the administrator's methods, behind HTTP Basic ``admin:<password>``.

Accounts (``com.atproto.admin.getAccountInfo(s)``, ``searchAccounts``,
``updateAccountHandle/Email/Password``, ``deleteAccount``, ``sendEmail``), takedowns
(``updateSubjectStatus``/``getSubjectStatus`` for accounts, records and blobs) and invite
codes (``com.atproto.server.createInviteCode(s)``, ``com.atproto.admin.getInviteCodes``,
``disableInviteCodes``, ``enable/disableAccountInvites``), plus an account's own
``com.atproto.server.getAccountInviteCodes``. Moderation reports
(``com.atproto.moderation.createReport``) are stored for the admin, who lists them at
``GET /admin/reports``.

``[plugins.admin]``: ``max_invite_codes_per_request`` (default 1000) bounds one
``createInviteCodes`` call.
"""

from __future__ import annotations

from typing import Any

from exprsn_pds import (
    ModelRegistrar,
    RouteRegistrar,
    XrpcRegistrar,
    access_auth,
    account_full_auth,
    admin_basic_auth,
    hookimpl,
)
from exprsn_pds.plugins.admin import accounts, invites, mail, reports, subjects

ADMIN = "com.atproto.admin"
SERVER = "com.atproto.server"

ADMIN_METHODS = {
    f"{ADMIN}.getAccountInfo": accounts.get_account_info,
    f"{ADMIN}.getAccountInfos": accounts.get_account_infos,
    f"{ADMIN}.searchAccounts": accounts.search_accounts,
    f"{ADMIN}.updateAccountHandle": accounts.update_account_handle,
    f"{ADMIN}.updateAccountEmail": accounts.update_account_email,
    f"{ADMIN}.updateAccountPassword": accounts.update_account_password,
    f"{ADMIN}.deleteAccount": accounts.delete_account,
    f"{ADMIN}.sendEmail": mail.send_email,
    f"{ADMIN}.updateSubjectStatus": subjects.update_subject_status,
    f"{ADMIN}.getSubjectStatus": subjects.get_subject_status,
    f"{SERVER}.createInviteCode": invites.create_invite_code,
    f"{SERVER}.createInviteCodes": invites.create_invite_codes,
    f"{ADMIN}.getInviteCodes": invites.get_invite_codes,
    f"{ADMIN}.disableInviteCodes": invites.disable_invite_codes,
    f"{ADMIN}.enableAccountInvites": invites.enable_account_invites,
    f"{ADMIN}.disableAccountInvites": invites.disable_account_invites,
}
"""Every method that needs the admin's credentials, and its handler."""


@hookimpl
def pds_config_schema() -> dict[str, Any]:
    """``[plugins.admin]``: ``max_invite_codes_per_request`` (integer ≥ 1, default 1000)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"max_invite_codes_per_request": {"type": "integer", "minimum": 1}},
    }


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve the admin methods (admin auth), the account's own invite codes and
    ``createReport`` (session)."""
    for nsid, handler in ADMIN_METHODS.items():
        registry.add(nsid, handler, auth=admin_basic_auth)
    registry.add(
        f"{SERVER}.getAccountInviteCodes",
        invites.get_account_invite_codes,
        auth=account_full_auth,
    )
    registry.add("com.atproto.moderation.createReport", reports.create_report, auth=access_auth)


@hookimpl
def pds_register_models(register: ModelRegistrar) -> None:
    """The ``reports`` app: stored moderation reports."""
    register.add(
        "reports",
        models=["exprsn_pds.plugins.admin.models"],
        migrations="exprsn_pds.plugins.admin.migrations",
    )


@hookimpl
def pds_register_routes(routes: RouteRegistrar) -> None:
    """``GET /admin/reports``: the stored moderation reports (admin credentials)."""
    routes.add(reports.REPORTS_PATH, reports.list_reports)
