"""Moderation reports, kept here for the administrator (no moderation service yet).

``com.atproto.moderation.createReport`` (an account's session; a taken-down account may
report too, to appeal) stores the report; the administrator lists them, newest first,
at ``GET /admin/reports?limit=&cursor=`` with HTTP Basic ``admin:<password>``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from quart import request

from exprsn_pds import InvalidRequest, Pds, XrpcContext, admin_basic_auth, caller_did
from exprsn_pds.plugins.admin.models import ModerationReport

REPORTS_PATH: Final = "/admin/reports"
DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 100
MAX_CURSOR_LENGTH: Final = 20


async def create_report(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.moderation.createReport``: store the report; answer it with its id."""
    body = ctx.input
    report = await ModerationReport.create(
        reason_type=body["reasonType"],
        reason=body.get("reason"),
        subject=body["subject"],
        reported_by=caller_did(ctx.auth),
        created_at=dt.datetime.now(dt.UTC),
    )
    return report_view(report)


def report_view(report: ModerationReport) -> dict[str, Any]:
    """A report as ``createReport`` answers it."""
    view: dict[str, Any] = {
        "id": report.id,
        "reasonType": report.reason_type,
        "subject": report.subject,
        "reportedBy": report.reported_by,
        "createdAt": report.created_at.isoformat().replace("+00:00", "Z"),
    }
    if report.reason is not None:
        view["reason"] = report.reason
    return view


async def list_reports(pds: Pds) -> dict[str, Any]:
    """``GET /admin/reports``: the stored reports, newest first, a page at a time."""
    await admin_basic_auth(request, pds)
    limit = _int_arg("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    query = ModerationReport.all().order_by("-id")
    if "cursor" in request.args:
        query = query.filter(id__lt=_int_arg("cursor", 0, 1, None))
    reports = await query.limit(limit)
    page: dict[str, Any] = {"reports": [report_view(report) for report in reports]}
    if len(reports) == limit:
        page["cursor"] = str(reports[-1].id)
    return page


def _int_arg(name: str, default: int, minimum: int, maximum: int | None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if len(raw) > MAX_CURSOR_LENGTH or not raw.isdigit():
        raise InvalidRequest(f"{name} must be a whole number")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
        raise InvalidRequest(f"{name} must be {bound}")
    return value
