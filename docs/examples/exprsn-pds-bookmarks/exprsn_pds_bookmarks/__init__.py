"""Example third-party plugin for exprsn-pds: bookmarks.

It ships its own namespace (``com.example.bookmarks``): one record type
(``com.example.bookmarks.bookmark``), two queries (``normalizeUrl``, ``listBookmarks``),
one procedure (``save``: the plugin writes a bookmark to the caller's repo through
``pds.repo_writer``) and a config section ``[plugins.bookmarks]``. Its table of bookmarks
(``models.py``, with a versioned migration) is kept by a durable consumer of the event
log (``index.py``); ``pds_on_event`` logs each bookmark this process saves, as it is
committed; ``pds_check_record`` refuses, before commit, bookmarks of the hosts listed in
``blocked_hosts``, however they are written. Everything goes through the public package
``exprsn_pds``. Installing the package is all it takes: the server finds it through the
``exprsn_pds.plugins`` entry point.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from exprsn_pds import (
    Action,
    AnyEvent,
    CommitEvent,
    ConsumerRegistrar,
    InvalidRequest,
    LexiconRegistrar,
    ModelRegistrar,
    Pds,
    RecordOrigin,
    RecordRefusal,
    RecordWrite,
    XrpcContext,
    XrpcRegistrar,
    caller_did,
    hookimpl,
    write_auth,
)
from exprsn_pds_bookmarks.index import BOOKMARK, CONSUMER, apply_event, list_bookmarks

PLUGIN_NAME = "bookmarks"
LEXICONS = Path(__file__).parent / "lexicons"
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PREFIXES = ("utm_",)

log = logging.getLogger(__name__)


def normalize(url: str, *, strip_tracking: bool) -> tuple[str, str]:
    """Lower-case scheme and host, drop default ports and fragments, sort the query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidRequest(
            f"only http and https URLs can be bookmarked, not {scheme}", error="UnsupportedScheme"
        )
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if strip_tracking:
        pairs = [(k, v) for k, v in pairs if not k.lower().startswith(TRACKING_PREFIXES)]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(pairs)), "")), host


def strips_tracking(pds: Pds) -> bool:
    """``plugins.bookmarks.strip_tracking`` (default true)."""
    return bool(pds.settings.plugin_config(PLUGIN_NAME).get("strip_tracking", True))


def blocked_hosts(pds: Pds) -> frozenset[str]:
    """``plugins.bookmarks.blocked_hosts``: hosts no bookmark may point at (default none)."""
    hosts = pds.settings.plugin_config(PLUGIN_NAME).get("blocked_hosts", [])
    return frozenset(host.lower() for host in hosts)


async def normalize_url(ctx: XrpcContext) -> dict[str, Any]:
    """``com.example.bookmarks.normalizeUrl``: the canonical form of ``url``."""
    url, host = normalize(ctx.params["url"], strip_tracking=strips_tracking(ctx.pds))
    return {"url": url, "host": host}


async def save_bookmark(ctx: XrpcContext) -> dict[str, Any]:
    """``com.example.bookmarks.save``: write the canonical ``url`` as a bookmark to the
    caller's repo (one commit, checked by every ``pds_check_record`` like any write)."""
    did = caller_did(ctx.auth)
    url, _ = normalize(ctx.input["url"], strip_tracking=strips_tracking(ctx.pds))
    created_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {"$type": BOOKMARK, "subject": url, "createdAt": created_at}
    write = RecordWrite(Action.CREATE, BOOKMARK, str(ctx.pds.tid_clock.next()), record)
    result = await ctx.pds.repo_writer.apply_writes(did, [write])
    written = result.results[0]
    return {"uri": written.uri, "cid": str(written.cid), "url": url}


async def list_bookmarks_handler(ctx: XrpcContext) -> dict[str, Any]:
    """``com.example.bookmarks.listBookmarks``: indexed bookmarks, optionally of one host."""
    bookmarks = await list_bookmarks(host=ctx.params.get("host"), limit=ctx.params["limit"])
    return {"bookmarks": bookmarks}


@hookimpl
def pds_config_schema() -> dict[str, Any]:
    """``[plugins.bookmarks]``: ``strip_tracking`` (bool, default true) and
    ``blocked_hosts`` (list of host names, default empty)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "strip_tracking": {"type": "boolean"},
            "blocked_hosts": {"type": "array", "items": {"type": "string"}},
        },
    }


@hookimpl
def pds_register_lexicons(register: LexiconRegistrar) -> None:
    """Ship the ``com.example.bookmarks`` lexicons."""
    register.add_folder(LEXICONS)


@hookimpl
def pds_register_models(register: ModelRegistrar) -> None:
    """The ``bookmarks`` app: the index table and its migrations."""
    register.add(
        PLUGIN_NAME,
        models=["exprsn_pds_bookmarks.models"],
        migrations="exprsn_pds_bookmarks.migrations",
    )


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve ``normalizeUrl``, ``listBookmarks`` and ``save``."""
    registry.add("com.example.bookmarks.normalizeUrl", normalize_url)
    registry.add("com.example.bookmarks.save", save_bookmark, auth=write_auth)
    registry.add("com.example.bookmarks.listBookmarks", list_bookmarks_handler)


@hookimpl
def pds_register_consumers(register: ConsumerRegistrar, pds: Pds) -> None:
    """Keep the index with the durable consumer ``bookmarks.index``."""
    strip_tracking = strips_tracking(pds)

    async def index(event: AnyEvent) -> None:
        await apply_event(event, lambda url: normalize(url, strip_tracking=strip_tracking))

    register.add(CONSUMER, index)


@hookimpl
def pds_on_event(event: AnyEvent) -> None:
    """Log each bookmark saved through this process, as soon as its commit is in.

    Immediate but best-effort (this process's writes only, nothing retried or replayed):
    fine for a log line, a metric or a cache. The index, which must miss nothing, is kept
    by the durable consumer instead.
    """
    if not isinstance(event, CommitEvent):
        return
    for op in event.ops:
        if op.collection == BOOKMARK and op.action == "create" and op.record is not None:
            log.info("bookmark saved: at://%s/%s %s", event.did, op.path, op.record.get("subject"))


@hookimpl
def pds_check_record(
    pds: Pds, did: str, collection: str, rkey: str, record: dict[str, Any], origin: RecordOrigin
) -> RecordRefusal | None:
    """Refuse, before commit, a bookmark of a host in ``blocked_hosts``.

    Called for every record written (``createRecord``, ``applyWrites``, ``importRepo``,
    ``save`` above): a refusal is a 400 naming the rule, and nothing of the commit is
    written.
    """
    if collection != BOOKMARK or not isinstance(subject := record.get("subject"), str):
        return None
    host = urlsplit(subject).hostname  # lower-cased, as blocked_hosts are
    if host is not None and host in blocked_hosts(pds):
        return RecordRefusal(rule="bookmarks.blocked_host", reason=f"{host} is blocked here")
    return None
