"""Repo signing keys are encrypted at rest, bound to their DID, and re-keyable."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from exprsn_pds.app import get_pds
from exprsn_pds.cli import main
from exprsn_pds.crypto import (
    KeyringError,
    KeyringSource,
    PrivateKey,
    UnknownMasterKey,
    load_master_keyring,
    master_keys_path,
    rotate,
)
from exprsn_pds.crypto.keyring import MASTER_KEY_BYTES
from exprsn_pds.pds import Pds
from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.models import Repo

ROTATE_TIMEOUT_S = 120.0
DID = "did:plc:rotationtest"
PASSWORD = "correct horse battery staple"
POST = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-05-01T12:00:00.000Z"}


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


def _rotate_master_beside(settings: Any) -> subprocess.CompletedProcess[str]:
    """``pds keys rotate-master`` in a process of its own, on ``settings``' data directory."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    environment |= {
        "PDS_DATA_DIRECTORY": str(settings.data_directory),
        "PDS_DATABASE_URL": settings.database_url,
        "PDS_ENABLE_PLUGINS": "server",
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "pds"), "keys", "rotate-master"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=ROTATE_TIMEOUT_S,
        check=False,
    )


async def _create_post(http: httpx.AsyncClient, did: str, token: str) -> httpx.Response:
    return await http.post(
        "/xrpc/com.atproto.repo.createRecord",
        headers={"Authorization": f"Bearer {token}"},
        json={"repo": did, "collection": "app.bsky.feed.post", "record": POST},
    )


async def test_a_running_server_follows_rotate_master(live_server: Any) -> None:
    server = await live_server(handles=("alice.test",))
    alice = server.accounts["alice.test"]
    async with httpx.AsyncClient(base_url=server.url) as http:
        first = await _create_post(http, alice.did, alice.token)
        assert first.status_code == 200, first.text
        rotated = await asyncio.to_thread(_rotate_master_beside, server.settings)
        assert rotated.returncode == 0, rotated.stdout + rotated.stderr
        assert "re-encrypted 1 signing keys" in rotated.stdout
        after = await _create_post(http, alice.did, alice.token)
        assert after.status_code == 200, after.text
        created = await http.post(
            "/xrpc/com.atproto.server.createAccount",
            json={"handle": "bob.test", "email": "bob@example.com", "password": PASSWORD},
        )
        assert created.status_code == 200, created.text
        bob = created.json()
        written = await _create_post(http, bob["did"], bob["accessJwt"])
        assert written.status_code == 200, written.text
    keyring = load_master_keyring(server.settings.data_directory, None)
    pds = Pds(server.settings)
    await pds.database.connect()
    try:
        sealed = [bytes(key) for key in await Repo.all().values_list("signing_key", flat=True)]
    finally:
        await pds.database.close()
    assert len(sealed) == 2 and not any(keyring.needs_rotation(key) for key in sealed)


def test_a_keyring_source_rereads_its_file_only_when_it_changed(tmp_path: Path) -> None:
    source = KeyringSource(tmp_path, None)
    first = source.load()
    assert source.reload_if_changed() is None
    new_id = rotate(tmp_path)
    reloaded = source.reload_if_changed()
    assert reloaded is not None and reloaded.current_id == new_id
    assert set(reloaded.key_ids) == {first.current_id, new_id}
    assert source.reload_if_changed() is None


def test_a_configured_keyring_is_never_reread(tmp_path: Path) -> None:
    configured = base64.b64encode(bytes(MASTER_KEY_BYTES)).decode()
    source = KeyringSource(tmp_path, configured)
    source.load()
    assert source.reload_if_changed() is None
    assert not master_keys_path(tmp_path).exists()


def test_a_key_under_an_unknown_master_key_opens_after_the_file_is_rotated(
    tmp_path: Path,
) -> None:
    source = KeyringSource(tmp_path, None)
    keys = RepoKeys(source.load(), source)
    stale = RepoKeys(source.load())
    rotate(tmp_path)
    key = PrivateKey.generate("k256")
    newer = RepoKeys(load_master_keyring(tmp_path, None)).seal(DID, key)
    with pytest.raises(UnknownMasterKey):
        stale.open(DID, newer, "k256")
    assert keys.open(DID, newer, "k256").to_bytes() == key.to_bytes()
