"""Secrets that are missing on first start are generated once and kept in the data dir."""

from __future__ import annotations

import fcntl
import os
import secrets
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tomli_w

from exprsn_pds.crypto import Curve, PrivateKey

SECRETS_FILENAME = "secrets.toml"
LOCK_FILENAME = ".secrets.lock"
SECRETS_FILE_MODE = 0o600
_GENERATED_BYTES = 32


def secrets_path(data_directory: Path) -> Path:
    """Where generated secrets live."""
    return data_directory / SECRETS_FILENAME


def load_or_generate(data_directory: Path, names: list[str]) -> dict[str, str]:
    """Return a value for every name, generating (and persisting, mode 0600) missing ones.

    Processes starting together take a file lock, so they all end up with one value.
    """
    path = secrets_path(data_directory)
    with _locked(data_directory):
        stored: dict[str, str] = {}
        if path.exists():
            with path.open("rb") as handle:
                stored = {k: str(v) for k, v in tomllib.load(handle).items()}
        missing = [name for name in names if name not in stored]
        if missing:
            for name in missing:
                stored[name] = _GENERATORS.get(name, _random_token)()
            _write_private(path, tomli_w.dumps(stored).encode())
    return {name: stored[name] for name in names}


def load_existing(data_directory: Path, names: list[str]) -> dict[str, str]:
    """The values of ``names`` already stored in the secrets file; nothing is generated."""
    path = secrets_path(data_directory)
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        stored = {k: str(v) for k, v in tomllib.load(handle).items()}
    return {name: stored[name] for name in names if name in stored}


def _random_token() -> str:
    return secrets.token_urlsafe(_GENERATED_BYTES)


def _k256_private_key_hex() -> str:
    return PrivateKey.generate(Curve.K256).to_bytes().hex()


# Secrets that are keys rather than passwords get a generator of their own.
_GENERATORS = {"plc_rotation_key": _k256_private_key_hex}


@contextmanager
def _locked(data_directory: Path) -> Iterator[None]:
    data_directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(data_directory / LOCK_FILENAME, os.O_RDWR | os.O_CREAT, SECRETS_FILE_MODE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, SECRETS_FILE_MODE)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.chmod(temporary, SECRETS_FILE_MODE)
    os.replace(temporary, path)
