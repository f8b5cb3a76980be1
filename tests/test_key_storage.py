"""Repo signing keys are encrypted at rest, bound to their DID, and re-keyable."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from exprsn_pds.app import get_pds
from exprsn_pds.cli import main
from exprsn_pds.crypto import KeyringError, load_master_keyring
from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.models import Repo


@pytest.fixture
async def client(client_factory: Any) -> Any:
    return await client_factory()


def _all_bytes_stored(tmp_path: Path) -> bytes:
    return b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())


async def test_no_plaintext_private_key_is_stored(
    client: Any, account_factory: Any, tmp_path: Path
) -> None:
    alice = await account_factory(client, "alice.test")
    private = alice.key.to_bytes()
    rows = await Repo.all().values_list(
        "did", "head", "rev", "data", "signing_key", "signing_public_key"
    )
    dumped = b"".join(
        str(column).encode() + bytes(column) if isinstance(column, bytes) else str(column).encode()
        for row in rows
        for column in row
    )
    assert private not in dumped and private.hex().encode() not in dumped
    assert private not in _all_bytes_stored(tmp_path)


async def test_a_sealed_key_opens_only_for_its_own_did(client: Any, account_factory: Any) -> None:
    alice = await account_factory(client, "alice.test")
    bob = await account_factory(client, "bob.test")
    keys = RepoKeys(get_pds(client.app).repo_writer.keys.keyring)
    sealed = bytes((await Repo.get(did=alice.did)).signing_key)
    assert keys.open(alice.did, sealed, "k256").to_bytes() == alice.key.to_bytes()
    with pytest.raises(KeyringError):
        keys.open(bob.did, sealed, "k256")


async def test_rotate_master_reencrypts_every_signing_key(
    client: Any, account_factory: Any, settings_factory: Any
) -> None:
    alice = await account_factory(client, "alice.test")
    pds = get_pds(client.app)
    settings = pds.settings
    before = bytes((await Repo.get(did=alice.did)).signing_key)
    await pds.database.close()
    environment = {
        "PDS_DATA_DIRECTORY": str(settings.data_directory),
        "PDS_DATABASE_URL": settings.database_url,
        "PDS_ENABLE_PLUGINS": "server",
    }
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["keys", "rotate-master"], env=environment
    )
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 signing keys" in result.output
    await pds.database.connect()
    after = bytes((await Repo.get(did=alice.did)).signing_key)
    keyring = load_master_keyring(settings.data_directory, None)
    assert after != before and not keyring.needs_rotation(after)
    assert RepoKeys(keyring).open(alice.did, after, "k256").to_bytes() == alice.key.to_bytes()
