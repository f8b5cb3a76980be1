"""Verification on profile views, on SQLite and PostgreSQL: the configured trusted
verifiers' ``app.bsky.graph.verification`` records verify an account while they name its
current handle and display name; others' verifications are not shown; a trusted verifier's
own profile says so (``trustedVerifierStatus``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from appview_replay import appview_settings
from test_appview_index import Actor

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings

VERIFICATION: Final = "app.bsky.graph.verification"
PROFILE: Final = "app.bsky.actor.profile"
AT: Final = "2026-01-01T00:00:00.000Z"


async def _verify(issuer: Actor, subject: Actor, handle: str, name: str) -> str:
    record = {"subject": subject.did, "handle": handle, "displayName": name, "createdAt": AT}
    return (await issuer.write(VERIFICATION, record))["uri"]


async def _verification(viewer: Actor, actor: Actor) -> Any:
    status, body = await viewer.profile(actor.did)
    assert status == 200
    return body.get("verification")


async def test_trusted_verifications_follow_the_subjects_names(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory, trusted_verifiers=[]))
    alice, bob, carol, dan = [
        await Actor.create(client, name) for name in ("alice", "bob", "carol", "dan")
    ]
    # The DIDs are known only now; the setting is read per request.
    get_pds(client.app).settings.plugin_config("appview")["trusted_verifiers"] = [carol.did]
    await carol.write(PROFILE, {"displayName": "Carol C."}, rkey="self")
    await bob.write(PROFILE, {"displayName": "Bob"}, rkey="self")
    assert await _verification(alice, bob) is None
    uri = await _verify(carol, bob, "bob.test", "Bob")
    await _verify(dan, bob, "bob.test", "Bob")  # not a trusted verifier: not shown
    valid = {
        "verifications": [
            {
                "issuer": carol.did,
                "issuerHandle": "carol.test",
                "issuerDisplayName": "Carol C.",
                "uri": uri,
                "isValid": True,
                "createdAt": AT,
            }
        ],
        "verifiedStatus": "valid",
        "trustedVerifierStatus": "none",
    }
    assert await _verification(alice, bob) == valid
    assert await _verification(alice, carol) == {
        "verifications": [],
        "verifiedStatus": "none",
        "trustedVerifierStatus": "valid",
    }
    await bob.write(PROFILE, {"displayName": "Robert"}, rkey="self")
    renamed = await _verification(alice, bob)
    assert renamed["verifiedStatus"] == "invalid"
    assert renamed["verifications"][0]["isValid"] is False
    await carol.delete(uri)
    assert await _verification(alice, bob) is None
    assert await _verification(alice, dan) is None
