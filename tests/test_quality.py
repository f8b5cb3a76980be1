"""The code is ruff- and mypy-clean (``make lint`` runs this file).

mypy does not follow the editable install's import hook, so it checks the tree of
links that ``make typing-tree`` builds (the one ``make typecheck`` and editors use):
``exprsn_pds`` = core/, ``exprsn_pds.plugins`` = plugins/, ``exprsn_pds.lexicons`` =
lexicons/. This file builds its own in a temporary folder, so runs never share one.
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
    result = _run("make", "--no-print-directory", "typing-tree", f"TYPING_TREE={where}")
    assert result.returncode == 0, result.stdout + result.stderr
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
