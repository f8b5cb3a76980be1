"""Configuration: defaults, TOML, environment overrides, validation, secrets."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from exprsn_pds.config import ConfigError, load_settings
from exprsn_pds.config.secrets_file import secrets_path
from exprsn_pds.crypto import PrivateKey


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PDS_DATA_DIRECTORY": str(tmp_path), **extra}


def test_defaults_use_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings(environ=_env(tmp_path))
    assert settings.port == 2583
    assert settings.bind == "127.0.0.1"
    assert settings.database_url == f"sqlite:///{tmp_path / 'pds.sqlite'}"
    assert settings.redis_url is None


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = tmp_path / "pds.toml"
    config.write_text('[server]\nport = 3000\nhostname = "pds.example.com"\n')
    settings = load_settings(config, environ=_env(tmp_path, PDS_PORT="4000"))
    assert settings.port == 4000
    assert settings.hostname == "pds.example.com"
    assert settings.service_did == "did:web:pds.example.com"


def test_list_and_boolean_variables_are_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        environ=_env(
            tmp_path,
            PDS_SERVICE_HANDLE_DOMAINS=".a.example, .b.example",
            PDS_INVITE_REQUIRED="true",
            PDS_RATE_LIMITS_ENABLED="0",
            PDS_CRAWLERS="https://bsky.network",
        )
    )
    assert settings.service_handle_domains == (".a.example", ".b.example")
    assert settings.invite_required is True
    assert settings.rate_limits_enabled is False
    assert settings.crawlers == ("https://bsky.network",)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("PDS_PORT", "abc", "PDS_PORT (server.port)"),
        ("PDS_PORT", "70000", "PDS_PORT (server.port)"),
        ("PDS_INVITE_REQUIRED", "maybe", "PDS_INVITE_REQUIRED"),
        ("PDS_DID_PLC_URL", "not a url", "PDS_DID_PLC_URL (identity.did_plc_url)"),
        ("PDS_DATABASE_URL", "mysql://db", "PDS_DATABASE_URL (database.url)"),
        ("PDS_BLOB_UPLOAD_LIMIT", "0", "PDS_BLOB_UPLOAD_LIMIT (blobs.upload_limit_bytes)"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path: Path, variable: str, value: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        load_settings(environ=_env(tmp_path, **{variable: value}))


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "pds.toml"
    config.write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigError, match="server"):
        load_settings(config, environ=_env(tmp_path))


def test_a_bad_secret_is_reported_without_its_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ=_env(tmp_path, PDS_JWT_SECRET="tooshort-secret"))
    assert "tooshort-secret" not in str(raised.value)
    assert "PDS_JWT_SECRET" in str(raised.value)


def test_a_bad_database_url_does_not_echo_its_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ=_env(tmp_path, PDS_DATABASE_URL="mysql://u:hunter2@db/x"))
    assert "hunter2" not in str(raised.value)


def test_missing_secrets_are_generated_once_with_private_mode(tmp_path: Path) -> None:
    first = load_settings(environ=_env(tmp_path))
    second = load_settings(environ=_env(tmp_path))
    assert first.admin_password == second.admin_password
    assert len(first.jwt_secret) >= 32
    mode = stat.S_IMODE(secrets_path(tmp_path).stat().st_mode)
    assert mode == 0o600


PLC_KEY_HEX = "1" * 64


def test_configured_secrets_are_not_written_to_disk(tmp_path: Path) -> None:
    load_settings(
        environ=_env(
            tmp_path,
            PDS_ADMIN_PASSWORD="admin-pass-1",
            PDS_JWT_SECRET="j" * 40,
            PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX=PLC_KEY_HEX,
        )
    )
    assert not secrets_path(tmp_path).exists()


def test_a_generated_plc_rotation_key_is_a_usable_k256_key(tmp_path: Path) -> None:
    settings = load_settings(environ=_env(tmp_path))
    key = PrivateKey.from_bytes(bytes.fromhex(settings.plc_rotation_key), "k256")
    assert load_settings(environ=_env(tmp_path)).plc_rotation_key == key.to_bytes().hex()


def test_a_plc_rotation_key_that_is_not_64_hex_digits_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX"):
        load_settings(environ=_env(tmp_path, PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX="abc"))


def test_an_empty_plc_url_means_no_plc_directory(tmp_path: Path) -> None:
    assert load_settings(environ=_env(tmp_path, PDS_DID_PLC_URL="")).did_plc_url == ""


def test_number_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(environ=_env(tmp_path, PDS_IDENTITY_RESOLVE_TIMEOUT_S="1.5"))
    assert settings.identity_resolve_timeout_s == 1.5


def test_masked_config_hides_every_secret(tmp_path: Path) -> None:
    settings = load_settings(
        environ=_env(
            tmp_path,
            PDS_ADMIN_PASSWORD="admin-pass-1",
            PDS_JWT_SECRET="j" * 40,
            PDS_DATABASE_URL="postgresql://pds:dbpass@127.0.0.1/pds",
            PDS_REDIS_URL="redis://:redispass@127.0.0.1:6379/0",
        )
    )
    shown = repr(settings.masked()) + repr(settings)
    for secret in ("admin-pass-1", "j" * 40, "dbpass", "redispass", settings.plc_rotation_key):
        assert secret not in shown


def test_plugin_sections_are_kept_for_their_plugins(tmp_path: Path) -> None:
    config = tmp_path / "pds.toml"
    config.write_text("[plugins]\ndisabled = []\n[plugins.bookmarks]\nstrip_tracking = false\n")
    settings = load_settings(config, environ=_env(tmp_path))
    assert settings.plugin_config("bookmarks") == {"strip_tracking": False}
    assert settings.plugin_config("absent") == {}


def test_a_local_server_registers_no_dids_with_the_public_directory(tmp_path: Path) -> None:
    local = load_settings(environ={"PDS_DATA_DIRECTORY": str(tmp_path)})
    assert local.did_plc_url == ""
    named = load_settings(
        environ={"PDS_DATA_DIRECTORY": str(tmp_path), "PDS_DID_PLC_URL": "http://127.0.0.1:2582"}
    )
    assert named.did_plc_url == "http://127.0.0.1:2582"
    public = load_settings(
        environ={"PDS_DATA_DIRECTORY": str(tmp_path), "PDS_HOSTNAME": "pds.example.com"}
    )
    assert public.did_plc_url == "https://plc.directory"
