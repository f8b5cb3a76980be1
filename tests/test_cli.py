"""The ``pds`` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from exprsn_pds.cli import main
from exprsn_pds.registrars import CommandRegistrar, PluginStartupError

PDS = str(Path(sys.executable).parent / "pds")
SERVE_TIMEOUT_S = 60.0


def _invoke(tmp_path: Path, *arguments: str, **environment: str) -> tuple[int, str]:
    env = {"PDS_DATA_DIRECTORY": str(tmp_path), "PDS_ENABLE_PLUGINS": "server", **environment}
    result = CliRunner().invoke(main, list(arguments), env=env)
    return result.exit_code, result.output


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    code, output = _invoke(
        tmp_path, "config", "show", PDS_ADMIN_PASSWORD="hunter2-admin", PDS_PORT="3001"
    )
    assert code == 0
    shown = json.loads(output)
    assert shown["server"]["port"] == 3001
    assert shown["secrets"]["admin_password"] == "********"
    assert "hunter2-admin" not in output


def test_a_bad_config_value_is_a_clean_error(tmp_path: Path) -> None:
    code, output = _invoke(tmp_path, "config", "show", PDS_PORT="eighty")
    assert code != 0
    assert "PDS_PORT (server.port)" in output
    assert "Traceback" not in output


def test_plugins_list_shows_the_essential_server_plugin(tmp_path: Path) -> None:
    code, output = _invoke(tmp_path, "plugins", "list")
    assert code == 0
    row = next(line for line in output.splitlines() if line.startswith("server"))
    assert "essential" in row and "com.atproto.server" in row


def test_plugins_add_verbs_that_help_lists(tmp_path: Path) -> None:
    code, output = _invoke(tmp_path, "--help", PDS_ENABLE_PLUGINS="server,appview")
    assert code == 0
    assert "appview" in output
    code, output = _invoke(
        tmp_path, "appview", "reindex", "--help", PDS_ENABLE_PLUGINS="server,appview"
    )
    assert code == 0 and "--did" in output
    code, output = _invoke(tmp_path, "--help")
    assert code == 0 and "appview" not in output


def test_a_verb_added_twice_stops_start_up() -> None:
    commands: dict[str, click.Command] = {}
    CommandRegistrar(commands, "one").add(click.Command("hello"))
    with pytest.raises(PluginStartupError, match="hello"):
        CommandRegistrar(commands, "two").add(click.Command("hello"))


def test_db_migrate_is_idempotent(tmp_path: Path) -> None:
    first_code, _ = _invoke(tmp_path, "db", "migrate")
    second_code, second = _invoke(tmp_path, "db", "migrate")
    assert first_code == 0 and second_code == 0
    assert "nothing to migrate" in second
    assert (tmp_path / "pds.sqlite").exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_describe_server_on_the_configured_port(tmp_path: Path) -> None:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    environment |= {"PDS_PORT": str(port), "PDS_DATA_DIRECTORY": str(tmp_path / "data")}
    server = subprocess.Popen(
        [PDS, "serve"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}/xrpc/com.atproto.server.describeServer"
        deadline = time.monotonic() + SERVE_TIMEOUT_S
        while True:
            try:
                response = httpx.get(url)
                break
            except httpx.TransportError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["did"] == "did:web:localhost"
        same_directory = _serve_refusal(environment | {"PDS_PORT": str(_free_port())})
        assert "another server (pid " in same_directory
        assert f"already running on the data directory {tmp_path / 'data'}" in same_directory
        same_port = _serve_refusal(environment | {"PDS_DATA_DIRECTORY": str(tmp_path / "other")})
        assert f"port {port} is already in use on 127.0.0.1" in same_port
    finally:
        server.terminate()  # SIGTERM
        output = server.communicate(timeout=30)[0].decode()
    assert f"http://127.0.0.1:{port}" in output
    assert str(tmp_path / "data" / "secrets.toml") in output
    assert server.returncode == 0
    assert "pds shut down cleanly" in output
    assert "Traceback" not in output


def _serve_refusal(environment: dict[str, str]) -> str:
    """The output of a ``pds serve`` that must refuse to start: one line, no traceback."""
    refused = subprocess.run(
        [PDS, "serve"], env=environment, capture_output=True, text=True, timeout=SERVE_TIMEOUT_S
    )
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), refused.stderr
    return lines[0]


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert (result.exit_code, result.output.split()[0]) == (0, "exprsn-pds,")
