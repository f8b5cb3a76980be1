"""``app.bsky.notification.getPreferences`` / ``putPreferencesV2``: private per account.

Stored as the categories the account put (``appview_notification_preferences``); answered
as the full set, every category the account never put at its default (``include: all``,
``list`` and ``push`` on), as the official AppView answers. ``chat`` is deprecated in the
lexicon and always answered at its default. The preferences are kept, not yet applied:
the official AppView's list does not apply them either (only push delivery would).
"""

from __future__ import annotations

import json
from typing import Any, Final

from exprsn_pds import XrpcContext, caller_did
from exprsn_pds.plugins.appview import notification_store as store

FILTERABLE: Final = (
    "follow",
    "like",
    "likeViaRepost",
    "mention",
    "quote",
    "reply",
    "repost",
    "repostViaRepost",
)
PLAIN: Final = ("starterpackJoined", "subscribedPost", "unverified", "verified")
CHAT_DEFAULT: Final = {"include": "all", "push": True}


def _defaults() -> dict[str, dict[str, Any]]:
    answer: dict[str, dict[str, Any]] = {"chat": dict(CHAT_DEFAULT)}
    for name in FILTERABLE:
        answer[name] = {"include": "all", "list": True, "push": True}
    for name in PLAIN:
        answer[name] = {"list": True, "push": True}
    return answer


def _stored(text: str | None) -> dict[str, dict[str, Any]]:
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


def full_preferences(text: str | None) -> dict[str, dict[str, Any]]:
    """The whole ``#preferences`` object: what was put over the defaults."""
    answer = _defaults()
    for name, value in _stored(text).items():
        if name in answer and name != "chat" and isinstance(value, dict):
            answer[name] = answer[name] | {k: value[k] for k in answer[name] if k in value}
    return answer


async def get_preferences(ctx: XrpcContext) -> dict[str, Any]:
    """The caller's notification preferences, complete."""
    did = caller_did(ctx.auth)
    return {"preferences": full_preferences(await store.preferences(ctx.pds.database.client, did))}


async def put_preferences_v2(ctx: XrpcContext) -> dict[str, Any]:
    """Replace the categories given (the lexicon checked their shapes); answer them all."""
    did = caller_did(ctx.auth)
    async with ctx.pds.database.transaction() as client:
        stored = _stored(await store.preferences(client, did))
        for name in (*FILTERABLE, *PLAIN):
            if isinstance(value := ctx.input.get(name), dict):
                stored[name] = {
                    key: value[key] for key in ("include", "list", "push") if key in value
                }
        text = json.dumps(stored, separators=(",", ":"), sort_keys=True)
        await store.set_preferences(client, did, text)
    return {"preferences": full_preferences(text)}
