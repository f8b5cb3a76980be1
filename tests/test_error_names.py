"""Every error name a handler can raise is declared by its method's lexicon (or generic).

The check reads the code: from each handler in the dispatch table it follows the calls it
can resolve (functions and classes of ``exprsn_pds``, methods of the services on ``Pds``)
and collects the named errors constructed on the way: a subclass of ``XrpcError`` (its
``default_error``) or an ``error="Name"`` argument. Errors of auth verifiers are the
verifiers' own and not followed.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from exprsn_pds.config import load_settings
from exprsn_pds.errors import XrpcError
from exprsn_pds.pds import Pds

PLUGINS = ["server", "repo", "sync", "blob", "identity", "session", "admin", "mailer"]

#: Errors any method may answer: the XRPC spec's and the auth layer's generic names.
GENERIC = frozenset(
    {
        "InvalidRequest",
        "AuthenticationRequired",
        "ExpiredToken",
        "InvalidToken",
        "Forbidden",
        "NotFound",
        "PayloadTooLarge",
        "RateLimitExceeded",
        "InternalServerError",
        "MethodNotImplemented",
        "UpstreamFailure",
        "ServiceUnavailable",
        "AccountTakedown",
        "AccountDeactivated",
    }
)

REPO_WRITES = frozenset(
    f"com.atproto.repo.{name}"
    for name in ("createRecord", "putRecord", "deleteRecord", "applyWrites")
)
HANDLE_CHANGES = frozenset(
    {"com.atproto.identity.updateHandle", "com.atproto.admin.updateAccountHandle"}
)
EVERY_METHOD = None

#: Named errors answered where the lexicon does not declare them, and on which methods
#: (``EVERY_METHOD``: any). Each is what the official PDS answers there too, or (noted)
#: the name a sibling method's lexicon gives the same condition.
UNDECLARED: dict[str, frozenset[str] | None] = {
    # The official account manager and repo checks answer these from any method that
    # names an account or a repo that is not here.
    "AccountNotFound": EVERY_METHOD,
    "RepoNotFound": EVERY_METHOD,
    # The official handle checks on every handle change (createAccount declares them).
    "InvalidHandle": HANDLE_CHANGES | {"com.atproto.identity.resolveHandle"},
    "HandleNotAvailable": HANDLE_CHANGES,
    "UnsupportedDomain": HANDLE_CHANGES,
    # Updating or deleting a record that is not there: getRecord's name for it.
    "RecordNotFound": REPO_WRITES,
    # A migrating account whose DID is already hosted here.
    "AccountAlreadyExists": frozenset({"com.atproto.server.createAccount"}),
    "RepoExists": frozenset({"com.atproto.server.createAccount"}),
}


def _allowed_undeclared(nsid: str) -> set[str]:
    return {
        name for name, methods in UNDECLARED.items() if methods is EVERY_METHOD or nsid in methods
    }


def _functions(value: Any) -> Iterator[Callable[..., Any]]:
    """The plain function(s) behind ``value`` (a function, method or property)."""
    if isinstance(value, property) and value.fget is not None:
        yield value.fget
    elif inspect.ismethod(value):
        yield value.__func__
    elif inspect.isfunction(value):
        yield value


class ErrorCollector:
    """Follows calls from a handler and collects the error names they construct."""

    def __init__(self, pds: Pds) -> None:
        self.pds = pds
        self.seen: dict[Callable[..., Any], frozenset[str]] = {}

    def errors_of(self, function: Callable[..., Any]) -> frozenset[str]:
        """The error names ``function`` and what it calls construct."""
        if function in self.seen:
            return self.seen[function]
        self.seen[function] = frozenset()
        names: set[str] = set()
        try:
            source = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError):
            return frozenset()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                target = self._resolve(node.func, function)
                names |= self._constructed(target, node)
                for callee in _functions(target):
                    if callee.__module__.startswith("exprsn_pds"):
                        names |= self.errors_of(callee)
        self.seen[function] = frozenset(names)
        return self.seen[function]

    @staticmethod
    def _constructed(target: Any, call: ast.Call) -> set[str]:
        if not (isinstance(target, type) and issubclass(target, XrpcError)):
            return set()
        for keyword in call.keywords:
            if keyword.arg == "error":
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    return {keyword.value.value}
                return set()  # a name passed along (re-raised): counted where it was made
        return {target.default_error}

    def _resolve(self, node: ast.expr, function: Callable[..., Any]) -> Any:
        if isinstance(node, ast.Name):
            return function.__globals__.get(node.id)
        if not isinstance(node, ast.Attribute):
            return None
        chain: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if not isinstance(base, ast.Name):
            return None
        if base.id == "ctx" and chain[:1] == ["pds"]:
            value: Any = self.pds
            chain = chain[1:]
        elif base.id == "pds":
            value = self.pds
        elif base.id == "self":
            owner = function.__qualname__.rsplit(".", 2)
            value = function.__globals__.get(owner[-2]) if len(owner) >= 2 else None
        else:
            value = function.__globals__.get(base.id)
        for name in chain:
            value = _attribute(value, name)
            if value is None:
                return None
        return value


def _attribute(value: Any, name: str) -> Any:
    """``value.name`` without running properties that need a started server."""
    attribute = inspect.getattr_static(value, name, None)
    if isinstance(attribute, property) and attribute.fget is not None:
        if value is not None and not isinstance(value, type):
            return _attribute(type(value), name)
        hints = typing.get_type_hints(attribute.fget)
        returned = hints.get("return")
        return returned if isinstance(returned, type) else attribute
    if isinstance(attribute, staticmethod | classmethod):
        return attribute.__func__
    return getattr(value, name, None) if attribute is not None else None


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Pds:
    """A server built (not started) with every built-in plugin."""
    folder: Path = tmp_path_factory.mktemp("error-names")
    settings = load_settings(
        environ={},
        overrides={
            "server": {"data_directory": str(folder)},
            "secrets": {"admin_password": "x" * 16, "jwt_secret": "y" * 48},
            "plugins": {"enabled": PLUGINS},
            "identity": {"did_plc_url": ""},
        },
    )
    return Pds(settings)


def undeclared(pds: Pds) -> dict[str, set[str]]:
    """Per method, the error names it can raise that neither its lexicon nor GENERIC has."""
    collector = ErrorCollector(pds)
    found: dict[str, set[str]] = {}
    for nsid, method in pds.methods.items():
        allowed = pds.lexicons.errors(nsid) | GENERIC | _allowed_undeclared(nsid)
        extra = set(collector.errors_of(method.handler)) - allowed
        if extra:
            found[nsid] = extra
    return found


def test_every_raised_error_name_is_declared(pds: Pds) -> None:
    assert undeclared(pds) == {}


def test_the_check_sees_errors_through_services(pds: Pds) -> None:
    collector = ErrorCollector(pds)
    handlers = {nsid: method.handler for nsid, method in pds.methods.items()}
    assert "RecordNotFound" in collector.errors_of(handlers["com.atproto.repo.getRecord"])
    assert "HandleNotAvailable" in collector.errors_of(
        handlers["com.atproto.identity.updateHandle"]
    )
    assert "InvalidSwap" in collector.errors_of(handlers["com.atproto.repo.putRecord"])
