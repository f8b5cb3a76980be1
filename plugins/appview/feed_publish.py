"""Publishing this server's feeds: one ``app.bsky.feed.generator`` record per feed
algorithm (``pds_feed_algorithms``) in a hosted account's repo, its key the algorithm's
name and its ``did`` this server's service DID, so the Bluesky app can show, like and
pin the feed (``pds appview publish-feeds --account HANDLE``).

Publishing again is idempotent: a record that already says what the algorithm says is
left alone, one that differs is updated (keeping its ``createdAt``), all in one commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from exprsn_pds import Action, FeedAlgorithm, Pds, RecordWrite

GENERATOR: Final = "app.bsky.feed.generator"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def generator_record(pds: Pds, algorithm: FeedAlgorithm, created_at: str) -> dict[str, Any]:
    """The generator record publishing ``algorithm`` on this server."""
    record: dict[str, Any] = {
        "$type": GENERATOR,
        "did": pds.settings.service_did,
        "displayName": algorithm.display_name,
        "createdAt": created_at,
    }
    if algorithm.description:
        record["description"] = algorithm.description
    return record


async def publish_feeds(pds: Pds, account: str) -> list[str]:
    """Write the generator records of every algorithm into the repo of ``account`` (a
    handle or DID hosted here; 400 ``RepoNotFound`` otherwise); their URIs, in order."""
    did = (await pds.repos.hosted(account)).did
    writes: list[RecordWrite] = []
    for name, algorithm in pds.feed_algorithms.items():
        existing = await pds.repos.get_record(did, GENERATOR, name)
        created_at = existing.value.get("createdAt") if existing is not None else None
        record = generator_record(pds, algorithm, created_at or _now())
        if existing is None:
            writes.append(RecordWrite(Action.CREATE, GENERATOR, name, record))
        elif existing.value != record:
            writes.append(RecordWrite(Action.UPDATE, GENERATOR, name, record))
    if writes:
        await pds.repo_writer.apply_writes(did, writes)
    return [f"at://{did}/{GENERATOR}/{name}" for name in pds.feed_algorithms]
