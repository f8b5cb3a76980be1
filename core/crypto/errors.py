"""The ways cryptographic input can be refused."""

from __future__ import annotations


class InvalidKey(ValueError):
    """Bytes or a string do not encode a usable key of a supported curve."""


class KeyringError(Exception):
    """A master keyring cannot decrypt a blob, or its keys cannot be loaded."""


class UnknownMasterKey(KeyringError):
    """A blob is encrypted under a master key the keyring does not hold (yet)."""
