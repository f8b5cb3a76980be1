"""The example third-party plugin is served once installed, with no change to the core.

It is pip-installed into a folder of its own and exercised in a child process, so
its entry point never leaks into the rest of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "exprsn-pds-bookmarks"

CHILD = """
import asyncio, json, sys
from exprsn_pds.app import create_app, get_pds
from exprsn_pds.config import load_settings
from exprsn_pds.lexicon import LexiconValidationError

async def main():
    settings = load_settings(environ={"PDS_DATA_DIRECTORY": sys.argv[1]})
    app = create_app(settings)
    pds = get_pds(app)
    out = {}
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get(
            "/xrpc/com.example.bookmarks.normalizeUrl",
            query_string={"url": "HTTPS://Example.COM:443/a?b=2&utm_source=x&a=1#top"},
        )
        out["normalize"] = [response.status_code, await response.get_json()]
        response = await client.get(
            "/xrpc/com.example.bookmarks.normalizeUrl", query_string={"url": "ftp://x.example/"}
        )
        out["unsupported"] = [response.status_code, await response.get_json()]
    pds.lexicons.validate_record("com.example.bookmarks.bookmark", {
        "$type": "com.example.bookmarks.bookmark",
        "subject": "https://example.com/", "createdAt": "2024-01-01T00:00:00Z"})
    try:
        pds.lexicons.validate_record("com.example.bookmarks.bookmark", {
            "$type": "com.example.bookmarks.bookmark", "subject": "https://example.com/"})
        out["invalid_record"] = "accepted"
    except LexiconValidationError as error:
        out["invalid_record"] = str(error)
    print(json.dumps(out))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
    )
    return target


def _child_env(site: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    environment["PYTHONPATH"] = str(site)
    return environment


def test_installed_plugin_method_is_served_and_its_record_validated(
    installed: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env=_child_env(installed),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["normalize"] == [
        200,
        {"url": "https://example.com/a?a=1&b=2", "host": "example.com"},
    ]
    assert out["unsupported"][0] == 400
    assert out["unsupported"][1]["error"] == "UnsupportedScheme"
    assert "createdAt" in out["invalid_record"]


def test_installed_plugin_is_listed_with_its_namespace(installed: Path, tmp_path: Path) -> None:
    env = _child_env(installed) | {"PDS_DATA_DIRECTORY": str(tmp_path)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pds"), "plugins", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("bookmarks"))
    assert "1.0.0" in row and "yes" in row and "com.example.bookmarks" in row


def test_installed_plugin_can_be_disabled_by_config(installed: Path, tmp_path: Path) -> None:
    env = _child_env(installed) | {
        "PDS_DATA_DIRECTORY": str(tmp_path),
        "PDS_DISABLE_PLUGINS": "bookmarks",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pds"), "plugins", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    row = next(line for line in result.stdout.splitlines() if line.startswith("bookmarks"))
    assert " no " in row
