"""The ``repo`` plugin (essential): ``com.atproto.repo.*`` record reads and writes, imports.

Handlers live in ``writes.py`` (createRecord, putRecord, deleteRecord, applyWrites),
``reads.py`` (getRecord, listRecords, describeRepo) and ``imports.py`` (importRepo).
"""

from __future__ import annotations

from collections.abc import Callable

from exprsn_pds import (
    Action,
    Pds,
    XrpcContext,
    XrpcRegistrar,
    account_full_auth,
    hookimpl,
    optional_auth,
    write_auth,
)
from exprsn_pds.plugins.repo.imports import import_repo
from exprsn_pds.plugins.repo.imports import pds_check_record as pds_check_record
from exprsn_pds.plugins.repo.reads import describe_repo, get_record, list_records
from exprsn_pds.plugins.repo.writes import (
    REPO_WRITE_LIMITS,
    apply_writes,
    apply_writes_points,
    create_record,
    delete_record,
    put_record,
)
from exprsn_pds.ratelimit.official import REPO_WRITE_POINTS
from exprsn_pds.xrpc.types import Handler


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar, pds: Pds) -> None:
    """Serve ``com.atproto.repo``: records (writes cost repo-write points) and imports.

    ``importRepo`` takes CARs as large as ``repo.import_max_bytes``.
    """
    writes: tuple[tuple[str, Handler, int | Callable[[XrpcContext], int]], ...] = (
        ("createRecord", create_record, REPO_WRITE_POINTS[Action.CREATE]),
        ("putRecord", put_record, REPO_WRITE_POINTS[Action.UPDATE]),
        ("deleteRecord", delete_record, REPO_WRITE_POINTS[Action.DELETE]),
        ("applyWrites", apply_writes, apply_writes_points),
    )
    for name, handler, points in writes:
        registry.add(
            f"com.atproto.repo.{name}",
            handler,
            auth=write_auth,
            rate_limits=[limit.costing(points) for limit in REPO_WRITE_LIMITS],
        )
    registry.add("com.atproto.repo.getRecord", get_record, auth=optional_auth)
    registry.add("com.atproto.repo.listRecords", list_records, auth=optional_auth)
    registry.add("com.atproto.repo.describeRepo", describe_repo)
    registry.add(
        "com.atproto.repo.importRepo",
        import_repo,
        auth=account_full_auth,
        max_body_bytes=pds.settings.repo_import_max_bytes,
    )
