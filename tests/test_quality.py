"""The code is ruff- and mypy-clean (``make lint`` runs this file).

mypy does not follow the editable install's import hook, so it checks a tree of
symlinks that spells the package the way it is installed: ``exprsn_pds`` = core/,
``exprsn_pds.plugins`` = plugins/, ``exprsn_pds.lexicons`` = lexicons/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "docs" / "examples" / "exprsn-pds-bookmarks"


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)


def _package_tree(where: Path) -> Path:
    package = where / "exprsn_pds"
    package.mkdir()
    for entry in (ROOT / "core").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "plugins").symlink_to(ROOT / "plugins")
    (package / "lexicons").symlink_to(ROOT / "lexicons")
    return where


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "core", "plugins", "tests", "docs/examples")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing(tmp_path: Path) -> None:
    tree = _package_tree(tmp_path)
    env = {**os.environ, "MYPYPATH": f"{tree}{os.pathsep}{EXAMPLE}"}
    result = _run(
        str(BIN / "mypy"),
        "--cache-dir",
        str(tmp_path / ".mypy_cache"),
        "-p",
        "exprsn_pds",
        "-p",
        "exprsn_pds_bookmarks",
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
