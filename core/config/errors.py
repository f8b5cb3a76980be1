"""The one error type configuration problems raise."""


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the key."""
