"""The built-in plugins use the public service API, as a third-party plugin would."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import exprsn_pds

PLUGINS = Path(exprsn_pds.__file__).resolve().parent.parent / "plugins"


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


def test_exprsn_pds_sql_is_the_core_s_own_helpers() -> None:
    import exprsn_pds.sql as public
    import exprsn_pds.storage.sql as internal

    assert public.__all__
    assert all(getattr(public, name) is getattr(internal, name) for name in public.__all__)
