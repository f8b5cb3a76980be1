"""Install defaults: rate limits on for a new data directory, off for one from before."""

from __future__ import annotations

from pathlib import Path

from exprsn_pds.config import load_settings
from exprsn_pds.config.install import INSTALL_FILENAME


def settings_in(directory: Path, **environ: str) -> bool:
    environment = {"PDS_DATA_DIRECTORY": str(directory), **environ}
    return load_settings(environ=environment).rate_limits_enabled


def test_a_new_install_has_rate_limits_on_and_records_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert settings_in(data) is True
    assert "enabled = true" in (data / INSTALL_FILENAME).read_text()
    (data / INSTALL_FILENAME).write_text("[rate_limits]\nenabled = false\n")
    assert settings_in(data) is False  # the recorded choice holds from then on


def test_an_install_from_before_keeps_rate_limits_off(tmp_path: Path) -> None:
    (tmp_path / "pds.sqlite").write_bytes(b"")  # a database from an earlier version
    assert settings_in(tmp_path) is False
    assert "enabled = false" in (tmp_path / INSTALL_FILENAME).read_text()


def test_an_explicit_setting_wins_over_the_install_default(tmp_path: Path) -> None:
    assert settings_in(tmp_path / "a", PDS_RATE_LIMITS_ENABLED="false") is False
    config = tmp_path / "pds.toml"
    config.write_text(
        f'[server]\ndata_directory = "{tmp_path / "b"}"\n[rate_limits]\nenabled = false\n'
    )
    assert load_settings(config, environ={}).rate_limits_enabled is False


def test_a_client_of_the_server_records_nothing(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PDS_DATA_DIRECTORY": str(tmp_path / "data"), "PDS_ADMIN_PASSWORD": "x" * 12},
        generate_secrets=False,
    )
    assert settings.rate_limits_enabled is True
    assert not (tmp_path / "data").exists()
