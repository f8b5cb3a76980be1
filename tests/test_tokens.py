"""Session token verification: what is remembered, and what is checked on every call."""

from __future__ import annotations

import time

import pytest

from exprsn_pds import tokens
from exprsn_pds.tokens import (
    ACCESS_TYP,
    REFRESH_TYP,
    Scope,
    TokenExpired,
    TokenInvalid,
    mint,
    verify,
)

SECRET = "test-secret-" + "s" * 32
AUDIENCE = "did:web:pds.test"
DID = "did:plc:" + "t" * 24
ACCESS = frozenset({Scope.ACCESS})


def token(now: float | None = None) -> str:
    return mint(
        secret=SECRET,
        did=DID,
        audience=AUDIENCE,
        scope=Scope.ACCESS,
        ttl_s=600,
        typ=ACCESS_TYP,
        now=now,
    )


def check(
    text: str,
    *,
    secret: str = SECRET,
    audience: str = AUDIENCE,
    typ: str = ACCESS_TYP,
    scopes: frozenset[Scope] = ACCESS,
) -> tokens.TokenClaims:
    return verify(text, secret=secret, audience=audience, typ=typ, scopes=scopes)


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    text = token()
    claims = check(text)
    assert claims.did == DID
    later = claims.expires_at + 1
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(TokenExpired):
        check(text)


def test_a_remembered_token_is_still_checked_for_scope_secret_audience_and_type() -> None:
    text = token()
    check(text)
    with pytest.raises(TokenInvalid, match="scope"):
        check(text, scopes=frozenset({Scope.REFRESH}))
    with pytest.raises(TokenInvalid):
        check(text, secret="another-secret-" + "s" * 32)
    with pytest.raises(TokenInvalid):
        check(text, audience="did:web:elsewhere.test")
    with pytest.raises(TokenInvalid, match="type"):
        check(text, typ=REFRESH_TYP)


def test_callers_cannot_change_what_is_remembered() -> None:
    text = token()
    check(text).raw["sub"] = "did:plc:someoneelse"
    assert check(text).raw["sub"] == DID


def test_a_failed_check_is_not_remembered() -> None:
    text = token(now=time.time() - 1200)
    for _ in range(2):
        with pytest.raises(TokenExpired):
            check(text)
