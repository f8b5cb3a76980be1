"""JSON Schema of the core configuration and the environment variables that override it.

Every key documented in ``config/pds.example.toml`` and ``docs/configuration.md`` is here;
a test keeps the three in step.
"""

from __future__ import annotations

from typing import Any

_STRING_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_URL: dict[str, Any] = {"type": "string", "pattern": r"^https?://[^\s]+$"}
_OPTIONAL_DID_KEY = "^(|did:key:z[1-9A-HJ-NP-Za-km-z]+)$"
_OPTIONAL_URL: dict[str, Any] = {"type": "string", "pattern": r"^(|https?://[^\s]+)$"}

CORE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "server": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "hostname": {"type": "string", "minLength": 1},
                "port": {"type": "integer", "minimum": 0, "maximum": 65535},
                "bind": {"type": "string", "minLength": 1},
                "data_directory": {"type": "string", "minLength": 1},
                "service_did": {"type": "string", "pattern": r"^did:[a-z]+:[a-zA-Z0-9._:%-]+$"},
                "workers": {"type": "integer", "minimum": 1, "maximum": 64},
                "contact_email": {"type": "string"},
                "privacy_policy_url": {"type": "string"},
                "terms_of_service_url": {"type": "string"},
                "log_level": {"enum": ["debug", "info", "warning", "error"]},
                "trusted_proxies": _STRING_LIST,
                "send_timeout_s": {"type": "number", "exclusiveMinimum": 0},
                "websocket_ping_interval_s": {"type": "number", "exclusiveMinimum": 0},
                "body_timeout_s": {"type": "number", "exclusiveMinimum": 0},
                "body_min_rate_bytes_per_s": {"type": "integer", "minimum": 1},
                "drain_max_bytes": {"type": "integer", "minimum": 0},
            },
        },
        "secrets": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "admin_password": {"type": "string", "minLength": 8},
                "jwt_secret": {"type": "string", "minLength": 32},
                "key_encryption_keys": {"type": "string", "minLength": 1},
                "plc_rotation_key": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
            },
        },
        "database": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "url": {"type": "string", "pattern": r"^(|sqlite://.*|postgres(ql)?://.+)$"},
                "migrate_on_start": {"type": "boolean"},
                "pool_max_size": {"type": "integer", "minimum": 1, "maximum": 1000},
                "snapshot_pool_max_size": {"type": "integer", "minimum": 1, "maximum": 1000},
            },
        },
        "redis": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "url": {"type": "string", "pattern": r"^(rediss?|unix)://"},
                "key_prefix": {"type": "string"},
            },
        },
        "accounts": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "service_handle_domains": _STRING_LIST,
                "invite_required": {"type": "boolean"},
                "access_token_ttl_s": {"type": "integer", "minimum": 1},
                "refresh_token_ttl_s": {"type": "integer", "minimum": 1},
                "refresh_grace_s": {"type": "integer", "minimum": 0},
                "login_min_duration_s": {"type": "number", "minimum": 0},
                "revocation_check_interval_s": {"type": "number", "minimum": 0},
                "reserved_signing_key_ttl_s": {"type": "integer", "minimum": 1},
            },
        },
        "repo": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_writes_per_commit": {"type": "integer", "minimum": 1},
                "max_commit_block_bytes": {"type": "integer", "minimum": 1},
                "block_cache_bytes": {"type": "integer", "minimum": 0},
                "import_max_bytes": {"type": "integer", "minimum": 1},
                "import_validate_records": {"type": "boolean"},
            },
        },
        "rate_limits": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"enabled": {"type": "boolean"}},
        },
        "email": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "smtp_url": {"type": "string", "pattern": r"^(|smtps?://[^\s]+)$"},
                "from_address": {"type": "string", "pattern": r"^(|[^@\s]+@[^@\s]+)$"},
                "smtp_timeout_s": {"type": "integer", "minimum": 1},
                "token_ttl_s": {"type": "integer", "minimum": 1},
            },
        },
        "blobs": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "upload_limit_bytes": {"type": "integer", "minimum": 1},
                "temp_grace_s": {"type": "number", "exclusiveMinimum": 0},
                "gc_interval_s": {"type": "number", "exclusiveMinimum": 0},
                "account_quota_bytes": {"type": "integer", "minimum": 1},
            },
        },
        "images": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"cdn_url": _OPTIONAL_URL},
        },
        "identity": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "did_plc_url": _OPTIONAL_URL,
                "recovery_did_key": {"type": "string", "pattern": _OPTIONAL_DID_KEY},
                "resolve_timeout_s": {"type": "number", "exclusiveMinimum": 0},
                "cache_ttl_s": {"type": "number", "exclusiveMinimum": 0},
                "max_response_bytes": {"type": "integer", "minimum": 1},
            },
        },
        "sync": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "crawlers": {"type": "array", "items": _URL},
                "crawl_interval_s": {"type": "number", "exclusiveMinimum": 0},
                "firehose_queue_max_events": {"type": "integer", "minimum": 1},
                "event_retention_s": {"type": "number", "exclusiveMinimum": 0},
                "event_purge_interval_s": {"type": "number", "exclusiveMinimum": 0},
                "firehose_queue_max_bytes": {"type": "integer", "minimum": 1},
                "firehose_max_subscribers": {"type": "integer", "minimum": 1},
                "firehose_max_subscribers_per_ip": {"type": "integer", "minimum": 1},
                "consumer_poll_interval_s": {"type": "number", "exclusiveMinimum": 0},
                "consumer_lease_ttl_s": {"type": "number", "exclusiveMinimum": 0},
                "consumer_retry_first_delay_s": {"type": "number", "exclusiveMinimum": 0},
                "consumer_retry_max_delay_s": {"type": "number", "exclusiveMinimum": 0},
                "consumer_stop_timeout_s": {"type": "number", "minimum": 0},
            },
        },
        "xrpc": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_body_bytes": {"type": "integer", "minimum": 1},
                # Past a few hundred levels Python's own stack (recursion limit) runs out.
                "max_nesting_levels": {"type": "integer", "minimum": 1, "maximum": 512},
                "max_param_bytes": {"type": "integer", "minimum": 1},
                "validate_output": {"type": "boolean"},
                "cors_origins": _STRING_LIST,
            },
        },
        "lexicons": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "official_namespaces": _STRING_LIST,
                "paths": _STRING_LIST,
            },
        },
        "plugins": {
            "type": "object",
            "properties": {
                "enabled": _STRING_LIST,
                "disabled": _STRING_LIST,
            },
            "additionalProperties": {"type": "object"},
        },
    },
}

DEFAULTS: dict[str, Any] = {
    "server": {
        "hostname": "localhost",
        "port": 2583,
        "bind": "127.0.0.1",
        "data_directory": "./data",
        "workers": 1,
        "contact_email": "",
        "privacy_policy_url": "",
        "terms_of_service_url": "",
        "log_level": "info",
        "trusted_proxies": [],
        "send_timeout_s": 30,
        "websocket_ping_interval_s": 20,
        "body_timeout_s": 30,
        "body_min_rate_bytes_per_s": 4096,
        "drain_max_bytes": 1_000_000,
    },
    "secrets": {},
    "database": {
        "url": "",
        "migrate_on_start": True,
        "pool_max_size": 10,
        "snapshot_pool_max_size": 4,
    },
    "redis": {"key_prefix": "pds:"},
    "accounts": {
        "service_handle_domains": [],
        "invite_required": False,
        "access_token_ttl_s": 3600,
        "refresh_token_ttl_s": 30 * 24 * 3600,
        "refresh_grace_s": 2 * 3600,
        "login_min_duration_s": 0.35,
        "revocation_check_interval_s": 1.0,
        "reserved_signing_key_ttl_s": 24 * 3600,
    },
    "repo": {
        "max_writes_per_commit": 200,
        "max_commit_block_bytes": 2_000_000,
        "block_cache_bytes": 64 * 1024 * 1024,
        "import_max_bytes": 100_000_000,
        "import_validate_records": False,
    },
    "rate_limits": {"enabled": False},
    "email": {"smtp_url": "", "from_address": "", "smtp_timeout_s": 30, "token_ttl_s": 900},
    "blobs": {
        "upload_limit_bytes": 100_000_000,
        "temp_grace_s": 3600,
        "gc_interval_s": 3600,
        "account_quota_bytes": 10_000_000_000,
    },
    "images": {"cdn_url": ""},
    "identity": {
        "did_plc_url": "https://plc.directory",
        "recovery_did_key": "",
        "resolve_timeout_s": 3.0,
        "cache_ttl_s": 600,
        "max_response_bytes": 65536,
    },
    "sync": {
        "crawlers": [],
        "crawl_interval_s": 1200,
        "firehose_queue_max_events": 1000,
        "event_retention_s": 259200,
        "event_purge_interval_s": 3600,
        "firehose_queue_max_bytes": 16_000_000,
        "firehose_max_subscribers": 1000,
        "firehose_max_subscribers_per_ip": 16,
        "consumer_poll_interval_s": 5,
        "consumer_lease_ttl_s": 30,
        "consumer_retry_first_delay_s": 1,
        "consumer_retry_max_delay_s": 300,
        "consumer_stop_timeout_s": 10,
    },
    "xrpc": {
        "max_body_bytes": 5_000_000,
        "max_nesting_levels": 128,
        "max_param_bytes": 8192,
        "validate_output": False,
        "cors_origins": ["*"],
    },
    "lexicons": {"official_namespaces": ["com.atproto", "app.bsky"], "paths": []},
    "plugins": {"enabled": [], "disabled": []},
}

# Environment variable -> dotted config key. The official PDS names where one exists.
ENVIRONMENT: dict[str, str] = {
    "PDS_HOSTNAME": "server.hostname",
    "PDS_PORT": "server.port",
    "PDS_BIND": "server.bind",
    "PDS_DATA_DIRECTORY": "server.data_directory",
    "PDS_SERVICE_DID": "server.service_did",
    "PDS_WORKERS": "server.workers",
    "PDS_CONTACT_EMAIL_ADDRESS": "server.contact_email",
    "PDS_PRIVACY_POLICY_URL": "server.privacy_policy_url",
    "PDS_TERMS_OF_SERVICE_URL": "server.terms_of_service_url",
    "PDS_LOG_LEVEL": "server.log_level",
    "PDS_TRUSTED_PROXIES": "server.trusted_proxies",
    "PDS_ADMIN_PASSWORD": "secrets.admin_password",
    "PDS_JWT_SECRET": "secrets.jwt_secret",
    "PDS_KEY_ENCRYPTION_KEYS": "secrets.key_encryption_keys",
    "PDS_DATABASE_URL": "database.url",
    "PDS_MIGRATE_ON_START": "database.migrate_on_start",
    "PDS_REDIS_URL": "redis.url",
    "PDS_SERVICE_HANDLE_DOMAINS": "accounts.service_handle_domains",
    "PDS_INVITE_REQUIRED": "accounts.invite_required",
    "PDS_ACCESS_TOKEN_TTL_S": "accounts.access_token_ttl_s",
    "PDS_REFRESH_TOKEN_TTL_S": "accounts.refresh_token_ttl_s",
    "PDS_REFRESH_GRACE_S": "accounts.refresh_grace_s",
    "PDS_LOGIN_MIN_DURATION_S": "accounts.login_min_duration_s",
    "PDS_REVOCATION_CHECK_INTERVAL_S": "accounts.revocation_check_interval_s",
    "PDS_MAX_REPO_IMPORT_SIZE": "repo.import_max_bytes",
    "PDS_RATE_LIMITS_ENABLED": "rate_limits.enabled",
    "PDS_EMAIL_SMTP_URL": "email.smtp_url",
    "PDS_EMAIL_FROM_ADDRESS": "email.from_address",
    "PDS_EMAIL_SMTP_TIMEOUT_S": "email.smtp_timeout_s",
    "PDS_EMAIL_TOKEN_TTL_S": "email.token_ttl_s",
    "PDS_BLOB_UPLOAD_LIMIT": "blobs.upload_limit_bytes",
    "PDS_BLOB_TEMP_GRACE_S": "blobs.temp_grace_s",
    "PDS_BLOB_GC_INTERVAL_S": "blobs.gc_interval_s",
    "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": "secrets.plc_rotation_key",
    "PDS_DID_PLC_URL": "identity.did_plc_url",
    "PDS_RECOVERY_DID_KEY": "identity.recovery_did_key",
    "PDS_IDENTITY_RESOLVE_TIMEOUT_S": "identity.resolve_timeout_s",
    "PDS_IDENTITY_CACHE_TTL_S": "identity.cache_ttl_s",
    "PDS_CRAWLERS": "sync.crawlers",
    "PDS_XRPC_VALIDATE_OUTPUT": "xrpc.validate_output",
    "PDS_CORS_ORIGINS": "xrpc.cors_origins",
    "PDS_LEXICON_PATHS": "lexicons.paths",
    "PDS_ENABLE_PLUGINS": "plugins.enabled",
    "PDS_DISABLE_PLUGINS": "plugins.disabled",
    "PDS_SEND_TIMEOUT_S": "server.send_timeout_s",
    "PDS_BODY_TIMEOUT_S": "server.body_timeout_s",
    "PDS_BLOB_ACCOUNT_QUOTA_BYTES": "blobs.account_quota_bytes",
    "PDS_IMAGES_CDN_URL": "images.cdn_url",
}

#: Secrets generated into the data directory's secrets file when not configured.
GENERATED_SECRET_KEYS: tuple[str, ...] = (
    "secrets.admin_password",
    "secrets.jwt_secret",
    "secrets.plc_rotation_key",
)
SECRET_KEYS: tuple[str, ...] = (*GENERATED_SECRET_KEYS, "secrets.key_encryption_keys")
CREDENTIAL_URL_KEYS: tuple[str, ...] = ("database.url", "redis.url", "email.smtp_url")
