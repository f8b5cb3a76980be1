"""The package has one import name, exprsn_pds, over the core/ and plugins/ folders."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

import exprsn_pds
import exprsn_pds.plugins

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = [ROOT / "core", ROOT / "plugins", ROOT / "lexicons"]


def _import_everything() -> None:
    for package in (exprsn_pds, exprsn_pds.plugins):
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if ".migrations." in module.name or module.name.endswith(".makemigrations"):
                continue
            importlib.import_module(module.name)


def test_folder_names_are_not_importable_as_packages() -> None:
    for folder_name in ("core", "plugins", "lexicons"):
        assert importlib.util.find_spec(folder_name) is None, folder_name


def test_no_module_file_is_loaded_under_two_names() -> None:
    _import_everything()
    seen: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if not location:
            continue
        resolved = Path(location).resolve()
        if not any(resolved.is_relative_to(folder) for folder in PACKAGE_FOLDERS):
            continue
        assert str(resolved) not in seen, f"{resolved} loaded as {seen[str(resolved)]} and {name}"
        seen[str(resolved)] = name
        assert name.startswith("exprsn_pds"), name


def test_core_folder_refuses_to_be_imported_by_its_folder_name() -> None:
    spec = importlib.util.spec_from_file_location("core", ROOT / "core" / "__init__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as error:
        assert "exprsn_pds" in str(error)
    else:
        raise AssertionError("core/ imported under the name 'core'")


def test_plugin_api_comes_from_one_name() -> None:
    for name in ("hookimpl", "XrpcError", "InvalidRequest", "XrpcContext", "XrpcRegistrar"):
        assert hasattr(exprsn_pds, name), name
