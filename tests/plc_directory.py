"""A real did:plc directory for the tests: the official ``@did-plc/server`` in memory.

``plc_directory`` (session-scoped) starts ``tests/interop/plc_directory.mjs`` once, on a
free 127.0.0.1 port, and yields its URL; the process is stopped at the end of the
session. Without node or ``tests/interop/node_modules`` (``npm ci``) the tests that use
it are skipped, or fail when ``PDS_TEST_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT_NAME = "plc_directory.mjs"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def _first_line(process: subprocess.Popen[bytes]) -> bytes:
    """The first line the process prints, waiting at most ``START_TIMEOUT_S``."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    return lines[0] if lines else b""


@pytest.fixture(scope="session")
def plc_directory(interop_node: Path) -> Iterator[str]:
    """The URL of a running did:plc directory (in-memory, fresh for the session)."""
    process = subprocess.Popen(
        ["node", SCRIPT_NAME],
        cwd=interop_node,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "LOG_ENABLED": "false"},
    )
    try:
        line = _first_line(process)
        if not line:
            raise RuntimeError("the PLC directory did not start")
        yield str(json.loads(line)["url"])
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
