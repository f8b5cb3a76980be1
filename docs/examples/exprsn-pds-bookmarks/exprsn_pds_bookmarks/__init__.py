"""Example third-party plugin for exprsn-pds: bookmarks.

It ships its own namespace (``com.example.bookmarks``): one record type
(``com.example.bookmarks.bookmark``) and one query (``normalizeUrl``), and a config
section ``[plugins.bookmarks]``. Installing the package is all it takes: the server
finds it through the ``exprsn_pds.plugins`` entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from exprsn_pds import InvalidRequest, LexiconRegistrar, XrpcContext, XrpcRegistrar, hookimpl

PLUGIN_NAME = "bookmarks"
LEXICONS = Path(__file__).parent / "lexicons"
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PREFIXES = ("utm_",)


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


async def normalize_url(ctx: XrpcContext) -> dict[str, Any]:
    """``com.example.bookmarks.normalizeUrl``: the canonical form of ``url``."""
    config = ctx.pds.settings.plugin_config(PLUGIN_NAME)
    url, host = normalize(ctx.params["url"], strip_tracking=config.get("strip_tracking", True))
    return {"url": url, "host": host}


@hookimpl
def pds_config_schema() -> dict[str, Any]:
    """``[plugins.bookmarks]``: ``strip_tracking`` (bool, default true)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"strip_tracking": {"type": "boolean"}},
    }


@hookimpl
def pds_register_lexicons(register: LexiconRegistrar) -> None:
    """Ship the ``com.example.bookmarks`` lexicons."""
    register.add_folder(LEXICONS)


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar) -> None:
    """Serve ``com.example.bookmarks.normalizeUrl``."""
    registry.add("com.example.bookmarks.normalizeUrl", normalize_url)
