"""Build :class:`Settings` from defaults, a TOML file and ``PDS_*`` environment variables."""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from exprsn_pds.config.errors import ConfigError
from exprsn_pds.config.install import explicit_keys, install_defaults
from exprsn_pds.config.schema import (
    CORE_SCHEMA,
    CREDENTIAL_URL_KEYS,
    DEFAULTS,
    ENVIRONMENT,
    GENERATED_SECRET_KEYS,
    SECRET_KEYS,
)
from exprsn_pds.config.secrets_file import load_existing, load_or_generate, secrets_path
from exprsn_pds.config.settings import Settings, mask_url_password
from exprsn_pds.net import IpNetwork, parse_networks

CONFIG_PATH_VARIABLE = "PDS_CONFIG"
SQLITE_FILENAME = "pds.sqlite"
#: The one secret a client of a running server needs.
CLIENT_SECRET = "admin_password"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def load_settings(
    path: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    generate_secrets: bool = True,
) -> Settings:
    """Load, merge and validate configuration; raise :class:`ConfigError` naming the bad key.

    ``path`` falls back to ``$PDS_CONFIG``; ``overrides`` (nested like the TOML file) win
    over everything and serve tests and the CLI. Secrets neither configured nor in the
    data directory's secrets file are generated there, unless ``generate_secrets`` is
    false: the settings of a client of a running server (``pds account ...``), which needs
    the admin password (else :class:`ConfigError` names the settings to set) and leaves
    the other secrets it did not find empty.
    """
    environ = os.environ if environ is None else environ
    path = path or environ.get(CONFIG_PATH_VARIABLE) or None
    merged = copy.deepcopy(DEFAULTS)
    from_file = _read_toml(Path(path)) if path is not None else {}
    _deep_merge(merged, from_file)
    sources: dict[str, str] = {}
    for variable, dotted in ENVIRONMENT.items():
        if variable in environ:
            _set(merged, dotted, _coerce(variable, dotted, environ[variable]))
            sources[dotted] = variable
    if overrides:
        _deep_merge(merged, copy.deepcopy(dict(overrides)))
    _validate(merged, sources)
    trusted_proxies = _trusted_proxies(merged, sources)
    explicit = explicit_keys(from_file, overrides or {}) | set(sources)
    _apply_install_defaults(merged, explicit, record=generate_secrets)  # before any secret
    _validate(merged, sources)
    _fill_derived(merged, generate_secrets=generate_secrets)
    return _to_settings(merged, trusted_proxies)


def _apply_install_defaults(tree: dict[str, Any], explicit: set[str], *, record: bool) -> None:
    data_directory = Path(tree["server"]["data_directory"]).expanduser().resolve()
    for section, values in install_defaults(data_directory, record=record).items():
        for key, value in values.items():
            if f"{section}.{key}" not in explicit and section in tree:
                tree[section][key] = value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"config file {path} does not exist") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from error


def _deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    section, key = dotted.split(".")
    tree.setdefault(section, {})[key] = value


def _schema_type(dotted: str) -> str:
    section, key = dotted.split(".")
    spec = CORE_SCHEMA["properties"][section]["properties"][key]
    return str(spec.get("type", "string"))


def _coerce(variable: str, dotted: str, raw: str) -> Any:
    kind = _schema_type(dotted)
    if kind == "integer":
        try:
            return int(raw.strip().replace("_", ""))
        except ValueError as error:
            raise ConfigError(f"{variable} ({dotted}) must be an integer, got {raw!r}") from error
    if kind == "number":
        try:
            return float(raw.strip().replace("_", ""))
        except ValueError as error:
            raise ConfigError(f"{variable} ({dotted}) must be a number, got {raw!r}") from error
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{variable} ({dotted}) must be true or false, got {raw!r}")
    if kind == "array":
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _validate(tree: dict[str, Any], sources: Mapping[str, str]) -> None:
    validator = jsonschema.Draft202012Validator(CORE_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(tree))
    if error is None:
        return
    dotted = ".".join(str(part) for part in error.absolute_path) or "<root>"
    if error.validator == "additionalProperties":
        raise ConfigError(f"unknown configuration key under {dotted}: {error.message}")
    shown = sources.get(dotted)
    where = f"{shown} ({dotted})" if shown else dotted
    if dotted in SECRET_KEYS:
        raise ConfigError(f"{where} is invalid (value not shown): {error.validator} rule failed")
    if dotted in CREDENTIAL_URL_KEYS:
        shown_url = mask_url_password(str(error.instance))
        raise ConfigError(f"{where}: unsupported URL {shown_url!r}")
    raise ConfigError(f"{where}: {error.message}")


def _trusted_proxies(tree: dict[str, Any], sources: Mapping[str, str]) -> tuple[IpNetwork, ...]:
    dotted = "server.trusted_proxies"
    try:
        return parse_networks(tree["server"]["trusted_proxies"])
    except ValueError as error:
        where = f"{sources[dotted]} ({dotted})" if dotted in sources else dotted
        raise ConfigError(f"{where}: {error}") from None


def _fill_derived(tree: dict[str, Any], *, generate_secrets: bool) -> None:
    server = tree["server"]
    data_directory = Path(server["data_directory"]).expanduser().resolve()
    server["data_directory"] = str(data_directory)
    server.setdefault("service_did", f"did:web:{server['hostname']}")
    if not tree["database"].get("url"):
        tree["database"]["url"] = f"sqlite:///{data_directory / SQLITE_FILENAME}"
    missing = [
        name.split(".")[1]
        for name in GENERATED_SECRET_KEYS
        if name.split(".")[1] not in tree["secrets"]
    ]
    if missing and generate_secrets:
        tree["secrets"].update(load_or_generate(data_directory, missing))
    elif missing:
        tree["secrets"].update(load_existing(data_directory, missing))
        if CLIENT_SECRET not in tree["secrets"]:
            raise ConfigError(
                f"no admin password: secrets.{CLIENT_SECRET} (PDS_ADMIN_PASSWORD) is not set"
                f" and {secrets_path(data_directory)} does not hold one; run this with the"
                " server's configuration (--config / PDS_CONFIG, or PDS_DATA_DIRECTORY set to"
                " the server's data directory) or set PDS_ADMIN_PASSWORD"
            )
        for name in missing:
            tree["secrets"].setdefault(name, "")


LOCAL_HOSTNAMES = ("localhost", "127.0.0.1")
LOCAL_HANDLE_DOMAIN = ".test"


def _service_handle_domains(hostname: str, configured: list[str]) -> tuple[str, ...]:
    """The configured domains, each with a leading dot; by default ``.<hostname>``.

    A server on ``localhost`` hands out ``.test`` handles, as the official PDS does.
    """
    if not configured:
        configured = [LOCAL_HANDLE_DOMAIN if hostname in LOCAL_HOSTNAMES else hostname]
    return tuple(f".{domain.lower().lstrip('.')}" for domain in configured)


def _did_plc_url(hostname: str, configured: str) -> str:
    """The PLC directory to use: none for a server on localhost left at the default.

    A development server must not register DIDs pointing at ``localhost`` with the
    public directory; it makes did:web accounts unless a directory is named explicitly.
    """
    if hostname in LOCAL_HOSTNAMES and configured == DEFAULTS["identity"]["did_plc_url"]:
        return ""
    return configured


def _to_settings(tree: dict[str, Any], trusted_proxies: tuple[IpNetwork, ...]) -> Settings:
    server, plugins = tree["server"], tree["plugins"]
    return Settings(
        hostname=server["hostname"],
        port=server["port"],
        bind=server["bind"],
        data_directory=Path(server["data_directory"]),
        service_did=server["service_did"],
        workers=server["workers"],
        contact_email=server["contact_email"],
        privacy_policy_url=server["privacy_policy_url"],
        terms_of_service_url=server["terms_of_service_url"],
        log_level=server["log_level"],
        trusted_proxies=trusted_proxies,
        admin_password=tree["secrets"]["admin_password"],
        jwt_secret=tree["secrets"]["jwt_secret"],
        key_encryption_keys=tree["secrets"].get("key_encryption_keys"),
        database_url=tree["database"]["url"],
        migrate_on_start=tree["database"]["migrate_on_start"],
        database_pool_max_size=tree["database"]["pool_max_size"],
        database_snapshot_pool_max_size=tree["database"]["snapshot_pool_max_size"],
        redis_url=tree["redis"].get("url") or None,
        redis_key_prefix=tree["redis"]["key_prefix"],
        service_handle_domains=_service_handle_domains(
            server["hostname"], tree["accounts"]["service_handle_domains"]
        ),
        invite_required=tree["accounts"]["invite_required"],
        access_token_ttl_s=tree["accounts"]["access_token_ttl_s"],
        refresh_token_ttl_s=tree["accounts"]["refresh_token_ttl_s"],
        refresh_grace_s=tree["accounts"]["refresh_grace_s"],
        login_min_duration_s=tree["accounts"]["login_min_duration_s"],
        revocation_check_interval_s=tree["accounts"]["revocation_check_interval_s"],
        reserved_signing_key_ttl_s=tree["accounts"]["reserved_signing_key_ttl_s"],
        repo_max_writes_per_commit=tree["repo"]["max_writes_per_commit"],
        repo_max_commit_block_bytes=tree["repo"]["max_commit_block_bytes"],
        repo_block_cache_bytes=tree["repo"]["block_cache_bytes"],
        repo_import_max_bytes=tree["repo"]["import_max_bytes"],
        repo_import_validate_records=tree["repo"]["import_validate_records"],
        rate_limits_enabled=tree["rate_limits"]["enabled"],
        email_smtp_url=tree["email"]["smtp_url"] or None,
        email_from_address=tree["email"]["from_address"],
        email_smtp_timeout_s=tree["email"]["smtp_timeout_s"],
        email_token_ttl_s=tree["email"]["token_ttl_s"],
        blob_upload_limit_bytes=tree["blobs"]["upload_limit_bytes"],
        blob_temp_grace_s=tree["blobs"]["temp_grace_s"],
        blob_gc_interval_s=tree["blobs"]["gc_interval_s"],
        plc_rotation_key=tree["secrets"]["plc_rotation_key"],
        did_plc_url=_did_plc_url(server["hostname"], tree["identity"]["did_plc_url"]),
        recovery_did_key=tree["identity"]["recovery_did_key"] or None,
        identity_resolve_timeout_s=tree["identity"]["resolve_timeout_s"],
        identity_cache_ttl_s=tree["identity"]["cache_ttl_s"],
        identity_max_response_bytes=tree["identity"]["max_response_bytes"],
        crawlers=tuple(tree["sync"]["crawlers"]),
        crawl_interval_s=tree["sync"]["crawl_interval_s"],
        firehose_queue_max_events=tree["sync"]["firehose_queue_max_events"],
        event_retention_s=tree["sync"]["event_retention_s"],
        event_purge_interval_s=tree["sync"]["event_purge_interval_s"],
        consumer_poll_interval_s=tree["sync"]["consumer_poll_interval_s"],
        consumer_lease_ttl_s=tree["sync"]["consumer_lease_ttl_s"],
        consumer_retry_first_delay_s=tree["sync"]["consumer_retry_first_delay_s"],
        consumer_retry_max_delay_s=tree["sync"]["consumer_retry_max_delay_s"],
        consumer_stop_timeout_s=tree["sync"]["consumer_stop_timeout_s"],
        xrpc_max_body_bytes=tree["xrpc"]["max_body_bytes"],
        xrpc_max_nesting_levels=tree["xrpc"]["max_nesting_levels"],
        xrpc_max_param_bytes=tree["xrpc"]["max_param_bytes"],
        xrpc_validate_output=tree["xrpc"]["validate_output"],
        cors_origins=tuple(tree["xrpc"]["cors_origins"]),
        official_lexicon_namespaces=tuple(tree["lexicons"]["official_namespaces"]),
        lexicon_paths=tuple(Path(p).expanduser() for p in tree["lexicons"]["paths"]),
        enabled_plugins=tuple(plugins.get("enabled", [])),
        disabled_plugins=tuple(plugins.get("disabled", [])),
        firehose_queue_max_bytes=tree["sync"]["firehose_queue_max_bytes"],
        firehose_max_subscribers=tree["sync"]["firehose_max_subscribers"],
        firehose_max_subscribers_per_ip=tree["sync"]["firehose_max_subscribers_per_ip"],
        send_timeout_s=tree["server"]["send_timeout_s"],
        websocket_ping_interval_s=tree["server"]["websocket_ping_interval_s"],
        body_timeout_s=tree["server"]["body_timeout_s"],
        body_min_rate_bytes_per_s=tree["server"]["body_min_rate_bytes_per_s"],
        drain_max_bytes=tree["server"]["drain_max_bytes"],
        blob_account_quota_bytes=tree["blobs"]["account_quota_bytes"],
        image_cdn_url=tree["images"]["cdn_url"] or None,
        plugin_sections={k: v for k, v in plugins.items() if isinstance(v, dict)},
        raw=tree,
    )
