"""Where the master keyring comes from: a configured value, or ``master_keys.toml``.

A configured value (config or environment) is a comma-separated list of base64 keys, the
current one first; it replaces the file entirely, and rotating means prepending a new
key to it. Otherwise the keys live in ``<data_directory>/master_keys.toml`` (mode 0600),
created with one fresh key on first start::

    current = "3f9a0c1e"

    [keys]
    3f9a0c1e = "<base64 of 32 bytes>"
    0b7d55e2 = "<base64 of an older key, kept to decrypt old blobs>"

Losing this file loses every private key encrypted under it: back it up.

A running server keeps a :class:`KeyringSource`: when ``pds keys rotate-master`` rewrites
the file, the server reads it again the next time it meets a blob under a key it does not
hold, or seals a new key, so it never needs a restart to follow a rotation.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
import tomllib
from pathlib import Path

import tomli_w

from exprsn_pds.crypto.errors import KeyringError
from exprsn_pds.crypto.keyring import MASTER_KEY_BYTES, MasterKeyring, key_id_for

MASTER_KEYS_FILENAME = "master_keys.toml"
MASTER_KEYS_FILE_MODE = 0o600
_CONFIGURED_SEPARATOR = ","


def master_keys_path(data_directory: Path) -> Path:
    """Where the master keys file lives."""
    return data_directory / MASTER_KEYS_FILENAME


def load_master_keyring(data_directory: Path, configured: str | None) -> MasterKeyring:
    """The master keyring from ``configured`` if set, else from the data directory's file.

    The file is created with a fresh key when missing. :class:`KeyringError` names the
    problem when the value or the file is malformed.
    """
    if configured is not None and configured.strip():
        items = [item.strip() for item in configured.split(_CONFIGURED_SEPARATOR)]
        return MasterKeyring.from_keys([_decode_key(item, "configured") for item in items])
    path = master_keys_path(data_directory)
    if not path.exists():
        key = os.urandom(MASTER_KEY_BYTES)
        _write_new(path, {key_id_for(key): key}, key_id_for(key))
    keys, current_id = _read(path)
    return MasterKeyring(keys, current_id)


class KeyringSource:
    """The master keyring of a data directory (or configuration), re-read when the file changes.

    :meth:`reload_if_changed` is cheap (one ``stat``) and reads the file only when it was
    replaced since the last read, so a blob under a truly unknown key costs no more than
    that. A configured value never changes while the process runs.
    """

    def __init__(self, data_directory: Path, configured: str | None) -> None:
        self._data_directory = data_directory
        self._configured = configured if configured is not None and configured.strip() else None
        self._seen: tuple[int, int, int] | None = None

    def load(self) -> MasterKeyring:
        """The keyring as it is now (the file is created when missing)."""
        # Stamped before reading, so a replacement racing the read is read again next
        # time; a file this call creates is stamped after.
        seen = self._stamp()
        keyring = load_master_keyring(self._data_directory, self._configured)
        self._seen = seen if seen is not None else self._stamp()
        return keyring

    def reload_if_changed(self) -> MasterKeyring | None:
        """The keyring read again if its file changed since the last read, else ``None``."""
        if self._configured is not None or self._stamp() == self._seen:
            return None
        return self.load()

    def _stamp(self) -> tuple[int, int, int] | None:
        """What identifies one version of the file: inode, size and modification time."""
        if self._configured is not None:
            return None
        try:
            status = master_keys_path(self._data_directory).stat()
        except FileNotFoundError:
            return None
        return (status.st_ino, status.st_size, status.st_mtime_ns)


def rotate(data_directory: Path) -> str:
    """Add a fresh key to the data directory's file and make it current; return its id.

    Older keys stay in the file so existing blobs still decrypt. Running servers pick the
    new file up by themselves (:class:`KeyringSource`). Do not run two rotations at once.
    """
    path = master_keys_path(data_directory)
    keys, _ = _read(path) if path.exists() else ({}, "")
    key = os.urandom(MASTER_KEY_BYTES)
    key_id = key_id_for(key)
    if key_id in keys:
        raise KeyringError(f"new master key id {key_id!r} collides with a stored one; retry")
    keys[key_id] = key
    _replace(path, _render(keys, key_id))
    return key_id


def _decode_key(value: str, where: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise KeyringError(f"{where} master key is not valid base64") from None
    if len(key) != MASTER_KEY_BYTES:
        raise KeyringError(f"{where} master key is {len(key)} bytes, not {MASTER_KEY_BYTES}")
    return key


def _read(path: Path) -> tuple[dict[str, bytes], str]:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise KeyringError(f"{path}: not valid TOML: {error}") from None
    current_id = document.get("current")
    stored = document.get("keys")
    if not isinstance(current_id, str) or not isinstance(stored, dict):
        raise KeyringError(f"{path}: needs a string 'current' and a [keys] table")
    keys: dict[str, bytes] = {}
    for key_id, value in stored.items():
        if not isinstance(value, str):
            raise KeyringError(f"{path}: keys.{key_id} must be a base64 string")
        keys[key_id] = _decode_key(value, f"{path}: keys.{key_id}")
    try:
        MasterKeyring(keys, current_id)
    except KeyringError as error:
        raise KeyringError(f"{path}: {error}") from None
    return keys, current_id


def _render(keys: dict[str, bytes], current_id: str) -> bytes:
    encoded = {key_id: base64.b64encode(key).decode("ascii") for key_id, key in keys.items()}
    return tomli_w.dumps({"current": current_id, "keys": encoded}).encode()


def _write_temporary(path: Path, content: bytes) -> Path:
    """A synced file next to ``path`` holding ``content``, mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.fchmod(descriptor, MASTER_KEYS_FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


def _write_new(path: Path, keys: dict[str, bytes], current_id: str) -> None:
    """Create ``path`` atomically unless it exists: of two racing processes, one key wins."""
    temporary = _write_temporary(path, _render(keys, current_id))
    try:
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()


def _replace(path: Path, content: bytes) -> None:
    os.replace(_write_temporary(path, content), path)
