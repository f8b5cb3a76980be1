"""The typed, validated settings the server runs with."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exprsn_pds.config.schema import CREDENTIAL_URL_KEYS, SECRET_KEYS
from exprsn_pds.net import IpNetwork

SECRET_MASK = "********"


@dataclass(frozen=True)
class Settings:
    """Effective configuration: defaults, then the TOML file, then the environment."""

    hostname: str
    port: int
    bind: str
    data_directory: Path
    service_did: str
    workers: int
    contact_email: str
    privacy_policy_url: str
    terms_of_service_url: str
    log_level: str
    trusted_proxies: tuple[IpNetwork, ...]
    admin_password: str = field(repr=False)
    jwt_secret: str = field(repr=False)
    key_encryption_keys: str | None = field(repr=False)
    database_url: str = field(repr=False)
    migrate_on_start: bool
    database_pool_max_size: int
    database_snapshot_pool_max_size: int
    redis_url: str | None = field(repr=False)
    redis_key_prefix: str
    service_handle_domains: tuple[str, ...]
    invite_required: bool
    access_token_ttl_s: int
    refresh_token_ttl_s: int
    refresh_grace_s: int
    login_min_duration_s: float
    revocation_check_interval_s: float
    reserved_signing_key_ttl_s: int
    repo_max_writes_per_commit: int
    repo_max_commit_block_bytes: int
    repo_block_cache_bytes: int
    repo_import_max_bytes: int
    repo_import_validate_records: bool
    rate_limits_enabled: bool
    email_smtp_url: str | None = field(repr=False)
    email_from_address: str
    email_smtp_timeout_s: int
    email_token_ttl_s: int
    blob_upload_limit_bytes: int
    blob_temp_grace_s: float
    blob_gc_interval_s: float
    plc_rotation_key: str = field(repr=False)
    did_plc_url: str
    recovery_did_key: str | None
    identity_resolve_timeout_s: float
    identity_cache_ttl_s: float
    identity_max_response_bytes: int
    crawlers: tuple[str, ...]
    crawl_interval_s: float
    firehose_queue_max_events: int
    event_retention_s: float
    event_purge_interval_s: float
    consumer_poll_interval_s: float
    consumer_lease_ttl_s: float
    consumer_retry_first_delay_s: float
    consumer_retry_max_delay_s: float
    consumer_stop_timeout_s: float
    xrpc_max_body_bytes: int
    xrpc_max_nesting_levels: int
    xrpc_max_param_bytes: int
    xrpc_validate_output: bool
    cors_origins: tuple[str, ...]
    official_lexicon_namespaces: tuple[str, ...]
    lexicon_paths: tuple[Path, ...]
    enabled_plugins: tuple[str, ...]
    disabled_plugins: tuple[str, ...]
    firehose_queue_max_bytes: int
    firehose_max_subscribers: int
    firehose_max_subscribers_per_ip: int
    send_timeout_s: float
    websocket_ping_interval_s: float
    body_timeout_s: float
    body_min_rate_bytes_per_s: int
    drain_max_bytes: int
    blob_account_quota_bytes: int
    image_cdn_url: str | None
    plugin_sections: dict[str, dict[str, Any]]
    raw: dict[str, Any] = field(repr=False)

    @property
    def public_url(self) -> str:
        """The URL clients reach this server at."""
        if self.hostname in ("localhost", "127.0.0.1"):
            return f"http://{self.hostname}:{self.port}"
        return f"https://{self.hostname}"

    def plugin_config(self, name: str) -> dict[str, Any]:
        """The ``[plugins.<name>]`` section (empty when absent)."""
        return self.plugin_sections.get(name, {})

    def masked(self) -> dict[str, Any]:
        """The effective configuration as a dict, with every secret masked."""
        shown = copy.deepcopy(self.raw)
        for dotted in SECRET_KEYS:
            section, key = dotted.split(".")
            if key in shown.get(section, {}):
                shown[section][key] = SECRET_MASK
        for dotted in CREDENTIAL_URL_KEYS:
            section, key = dotted.split(".")
            if shown.get(section, {}).get(key):
                shown[section][key] = mask_url_password(shown[section][key])
        return shown


def mask_url_password(url: str) -> str:
    """``scheme://user:secret@host`` → ``scheme://user:********@host``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}{':' + SECRET_MASK if has_password else ''}@{host}"
