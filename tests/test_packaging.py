"""The package has one import name, exprsn_pds, over the core/ and plugins/ folders;
its wheel is typed (py.typed) for third-party plugins."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import shutil
import subprocess
import sys
import sysconfig
import zipfile
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


WHEEL_SOURCES = ("pyproject.toml", "setup.py", "README.md", "core", "plugins", "lexicons")
EXAMPLE = ROOT / "docs" / "examples" / "exprsn-pds-bookmarks"
WRONG_CALL = """
from exprsn_pds import XrpcRegistrar


def register(registry: XrpcRegistrar) -> None:
    registry.add(42, "not a handler")
"""


def _build_wheel(where: Path) -> Path:
    """The project's wheel, built from a copy of its sources (the checkout stays untouched)."""
    sources = where / "sources"
    sources.mkdir()
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / name, sources / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, sources / name)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    result = subprocess.run(
        [*pip, str(sources), "-w", str(where / "dist")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (where / "dist").glob("exprsn_pds-*.whl")
    return wheel


def _installed_into_a_bare_venv(wheel: Path, where: Path) -> Path:
    """A venv with only the wheel unpacked in it; the dependencies come from this venv."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([str(python), "-c", purelib], text=True).strip())
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_wheel_ships_py_typed_and_a_plugin_type_checks_against_it(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        assert "exprsn_pds/py.typed" in archive.namelist()
    python = _installed_into_a_bare_venv(wheel, tmp_path / "venv")
    plugin = tmp_path / "plugin"
    shutil.copytree(EXAMPLE / "exprsn_pds_bookmarks", plugin / "exprsn_pds_bookmarks")
    (plugin / "exprsn_pds_bookmarks" / "wrong.py").write_text(WRONG_CALL)
    (plugin / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    mypy = Path(sys.executable).parent / "mypy"
    command = [str(mypy), "--config-file", "mypy.ini", "--python-executable", str(python)]
    result = subprocess.run(
        [*command, "--cache-dir", str(tmp_path / "cache"), "-p", "exprsn_pds_bookmarks"],
        cwd=plugin,
        capture_output=True,
        text=True,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, result.stdout + result.stderr
    assert all(line.startswith("exprsn_pds_bookmarks/wrong.py:6:") for line in errors), errors
    assert 'incompatible type "int"; expected "str"' in errors[0]
