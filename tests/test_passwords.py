"""Password hashes in the official PDS's scrypt format, checked against Node's crypto.scrypt."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from typing import Any

import pytest

from exprsn_pds.accounts import login as login_module
from exprsn_pds.accounts.passwords import (
    app_password_salt,
    generate_app_password,
    hash_app_password,
    hash_password,
    verify_password,
)
from exprsn_pds.errors import AuthRequired

# What @atproto/pds's scrypt.ts does: crypto.scrypt(password, saltHex, 64) with Node's
# defaults (N=16384, r=8, p=1), stored as `${salt}:${hash.toString('hex')}`.
NODE_SCRYPT = """
const crypto = require('node:crypto')
const [password, salt] = JSON.parse(process.argv[1])
crypto.scrypt(password, salt, 64, (err, hash) => {
  if (err) throw err
  process.stdout.write(salt + ':' + hash.toString('hex'))
})
"""


def node_hash(password: str, salt: str) -> str:
    result = subprocess.run(
        ["node", "-e", NODE_SCRYPT, json.dumps([password, salt])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


@pytest.mark.parametrize("password", ["hunter22hunter", "pässwörd ✓ with unicode"])
async def test_hashes_match_the_official_format(password: str) -> None:
    ours = await hash_password(password)
    salt, _, key = ours.partition(":")
    assert re.fullmatch(r"[0-9a-f]{32}", salt)
    assert re.fullmatch(r"[0-9a-f]{128}", key)
    assert node_hash(password, salt) == ours
    assert await verify_password(password, ours)
    assert not await verify_password(password + "x", ours)


async def test_a_hash_made_by_node_verifies() -> None:
    migrated = node_hash("from another pds", "00112233445566778899aabbccddeeff")
    assert await verify_password("from another pds", migrated)
    assert not await verify_password("something else", migrated)
    assert not await verify_password("from another pds", "no separator")


async def test_app_password_hashes_use_the_did_derived_salt() -> None:
    did = "did:plc:abcdefghijklmnopqrstuvwx"
    password = generate_app_password()
    assert re.fullmatch(r"([a-z2-7]{4}-){3}[a-z2-7]{4}", password)
    hashed = await hash_app_password(did, password)
    assert hashed.split(":")[0] == app_password_salt(did)
    assert node_hash(password, app_password_salt(did)) == hashed


async def test_every_login_attempt_waits_out_the_minimum(monkeypatch: Any) -> None:
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def no_account(identifier: str) -> None:
        return None

    monkeypatch.setattr(login_module, "find_account", no_account)
    monkeypatch.setattr(asyncio, "sleep", record_sleep)
    with pytest.raises(AuthRequired):
        await login_module.check_login("nobody.test", "password", min_duration_s=0.35)
    assert len(waits) == 1
    assert 0.3 < waits[0] <= 0.35
