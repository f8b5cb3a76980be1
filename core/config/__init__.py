"""Configuration: one TOML file plus ``PDS_*`` environment overrides, checked at start-up."""

from exprsn_pds.config.errors import ConfigError
from exprsn_pds.config.loader import load_settings
from exprsn_pds.config.settings import Settings

__all__ = ["ConfigError", "Settings", "load_settings"]
