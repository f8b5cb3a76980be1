"""``app.bsky.actor.getPreferences`` / ``putPreferences``: private per-account settings.

Stored whole, per account, in ``appview_preferences``; only the account's own session
reads or replaces them, and nothing else ever shows them. As on the official PDS, every
preference must name an ``app.bsky.*`` type, ``personalDetailsPref`` is for full-access
sessions only (an app password neither sees nor sets it), and ``declaredAgePref`` is not
written by the client: it is derived, on read, from the birth date.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

from exprsn_pds import InvalidRequest, Scope, XrpcContext, caller_did
from exprsn_pds.plugins.appview.models import Preferences
from exprsn_pds.plugins.appview.records import now_iso

NAMESPACE: Final = "app.bsky."
PERSONAL_DETAILS: Final = "app.bsky.actor.defs#personalDetailsPref"
DECLARED_AGE: Final = "app.bsky.actor.defs#declaredAgePref"
MUTED_WORDS: Final = "app.bsky.actor.defs#mutedWordsPref"
MUTED_WORD_ACTOR_TARGET_DEFAULT: Final = "all"
AGE_THRESHOLDS: Final = (13, 16, 18)


def _full_access(ctx: XrpcContext) -> bool:
    return ctx.auth is not None and ctx.auth.scope == Scope.ACCESS.value


async def get_preferences(ctx: XrpcContext) -> dict[str, Any]:
    """The caller's preferences, with the derived ``declaredAgePref`` when a birth date
    is set (app passwords see no ``personalDetailsPref``)."""
    did = caller_did(ctx.auth)
    row = await Preferences.get_or_none(did=did)
    stored: list[dict[str, Any]] = json.loads(row.preferences) if row is not None else []
    full = _full_access(ctx)
    shown = [pref for pref in stored if full or pref.get("$type") != PERSONAL_DETAILS]
    age = _declared_age(stored)
    if age is not None:
        shown.append(age)
    return {"preferences": shown}


async def put_preferences(ctx: XrpcContext) -> None:
    """Replace the caller's preferences (the lexicon has already checked the shapes)."""
    did = caller_did(ctx.auth)
    preferences: list[dict[str, Any]] = ctx.input["preferences"]
    full = _full_access(ctx)
    for pref in preferences:
        kind = pref.get("$type")
        if not isinstance(kind, str):
            raise InvalidRequest("Preference is missing a $type")
        if not kind.startswith(NAMESPACE):
            raise InvalidRequest(f"Some preferences are not in the {NAMESPACE[:-1]} namespace")
        if kind == DECLARED_AGE:
            raise InvalidRequest("declaredAgePref is derived from the birth date, not set")
        if kind == PERSONAL_DETAILS and not full:
            raise InvalidRequest("Do not have authorization to set preferences.")
    kept = [_with_defaults(pref) for pref in preferences]
    if not full:  # an app password cannot see them, so it does not drop them either
        row = await Preferences.get_or_none(did=did)
        stored = json.loads(row.preferences) if row is not None else []
        kept += [pref for pref in stored if pref.get("$type") == PERSONAL_DETAILS]
    text = json.dumps(kept, separators=(",", ":"))
    await Preferences.update_or_create(
        defaults={"preferences": text, "updated_at": now_iso()}, did=did
    )


def _with_defaults(pref: dict[str, Any]) -> dict[str, Any]:
    """``pref`` with the lexicon defaults the official PDS fills in (muted words' target)."""
    if pref.get("$type") != MUTED_WORDS or not isinstance(pref.get("items"), list):
        return pref
    items = [
        {"actorTarget": MUTED_WORD_ACTOR_TARGET_DEFAULT, **item} if isinstance(item, dict) else item
        for item in pref["items"]
    ]
    return {**pref, "items": items}


def _declared_age(preferences: list[dict[str, Any]]) -> dict[str, Any] | None:
    birth = next(
        (p.get("birthDate") for p in preferences if p.get("$type") == PERSONAL_DETAILS), None
    )
    if not isinstance(birth, str):
        return None
    try:
        born = dt.datetime.fromisoformat(birth.replace("Z", "+00:00")).date()
    except ValueError:
        return None
    today = dt.datetime.now(dt.UTC).date()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return {"$type": DECLARED_AGE} | {f"isOverAge{n}": age >= n for n in AGE_THRESHOLDS}
