"""The built-in plugins use the public service API, as a third-party plugin would."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import exprsn_pds

PLUGINS = Path(exprsn_pds.__file__).resolve().parent.parent / "plugins"
SQL_STATEMENT = re.compile(
    r"\bSELECT\b.*\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b|\bUPDATE\s+\S+\s+SET\b", re.DOTALL
)


def _plugin_files() -> list[Path]:
    return sorted(PLUGINS.rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.module or "", [alias.name for alias in node.names])
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    ]


def test_there_are_plugin_files() -> None:
    assert len(_plugin_files()) > 10


@pytest.mark.parametrize("path", _plugin_files(), ids=lambda path: str(path.relative_to(PLUGINS)))
def test_no_plugin_imports_core_models(path: Path) -> None:
    core_models = [
        module
        for module, _ in _imports(path)
        if module.startswith("exprsn_pds.")
        and module.split(".")[-1] == "models"
        and not module.startswith("exprsn_pds.plugins.")
    ]
    assert core_models == [], "plugins reach core tables through pds.accounts / repos / blobs"


@pytest.mark.parametrize("path", _plugin_files(), ids=lambda path: str(path.relative_to(PLUGINS)))
def test_public_names_come_from_the_public_package(path: Path) -> None:
    public = set(exprsn_pds.__all__)
    from_internals = [
        (module, name)
        for module, names in _imports(path)
        if module.startswith("exprsn_pds.") and not module.startswith("exprsn_pds.plugins.")
        for name in names
        if name in public
    ]
    assert from_internals == []


def _is_storage_internal(module: str) -> bool:
    last = module.split(".")[-1]
    return module.startswith("exprsn_pds.storage") or last == "store" or last.endswith("_store")


@pytest.mark.parametrize("path", _plugin_files(), ids=lambda path: str(path.relative_to(PLUGINS)))
def test_no_plugin_imports_storage_internals(path: Path) -> None:
    internals = [
        module
        for module, _ in _imports(path)
        if module.startswith("exprsn_pds.")
        and not module.startswith("exprsn_pds.plugins.")
        and _is_storage_internal(module)
    ]
    assert internals == [], "raw SQL and transactions stay behind pds.accounts / repos / blobs"


@pytest.mark.parametrize("path", _plugin_files(), ids=lambda path: str(path.relative_to(PLUGINS)))
def test_plugins_run_raw_sql_through_exprsn_pds_sql(path: Path) -> None:
    assert "execute_query(" not in path.read_text(encoding="utf-8"), (
        "exprsn_pds.sql's fetch / execute run a plugin's SQL, translated for each dialect"
    )


@pytest.mark.parametrize("path", _plugin_files(), ids=lambda path: str(path.relative_to(PLUGINS)))
def test_plugins_never_read_tortoise_s_context_connection(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"_meta\.db\b|\bconnections\.get\(|get_connection\(", text), (
        "a client is carried explicitly: a transaction's connection, else pds.database.client"
    )


def _code_strings(path: Path) -> list[str]:
    """The string literals of ``path`` that are not docstrings; an f-string's pieces are
    joined around ``{}`` for each value it formats."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    pieces = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append(
                "".join(
                    part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
                )
            )
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings | pieces
        ):
            found.append(node.value)
    return found


@pytest.mark.parametrize(
    "path",
    [path for path in _plugin_files() if not path.name.endswith("store.py")],
    ids=lambda path: str(path.relative_to(PLUGINS)),
)
def test_raw_sql_only_in_store_modules(path: Path) -> None:
    statements = [text for text in _code_strings(path) if SQL_STATEMENT.search(text)]
    assert statements == [], "a plugin's raw SQL lives in its *store.py modules"


def test_the_sql_rule_sees_statements(tmp_path: Path) -> None:
    module = tmp_path / "handler.py"
    module.write_text(
        '"""SELECT the docs FROM here is prose."""\n'
        'TABLE = "t"\n'
        'TEXT = f"SELECT a FROM {TABLE} WHERE b = ?"\n'
        'MORE = ("DELETE FROM t" " WHERE a = ?")\n',
        encoding="utf-8",
    )
    statements = [text for text in _code_strings(module) if SQL_STATEMENT.search(text)]
    assert statements == ["SELECT a FROM {} WHERE b = ?", "DELETE FROM t WHERE a = ?"]


def test_exprsn_pds_sql_is_the_core_s_own_helpers() -> None:
    import exprsn_pds.sql as public
    import exprsn_pds.storage.sql as internal

    assert public.__all__
    assert all(getattr(public, name) is getattr(internal, name) for name in public.__all__)
