import statistics
import time
from typing import Any

from appview_replay import appview_settings

from exprsn_pds.plugins.appview import feed_algorithm_store
from exprsn_pds.plugins.appview.graph_store import Cursor
from exprsn_pds.sql import execute


async def test_sql(client_factory: Any, settings_factory: Any) -> None:
    client = await client_factory(appview_settings(settings_factory))
    pds = client.app.extensions["exprsn_pds"]
    db = pds.database.client
    actors = [f"did:plc:a{n:04d}" for n in range(1000)]
    for did in actors:
        await execute(db, "INSERT INTO appview_actor (did, handle, status, account_seq, handle_seq, commit_seq) VALUES (?, ?, 'active', 0, 0, 0)", [did, did[8:] + ".test"])
    async with pds.database.transaction() as tx:
        for i in range(100_000):
            did = actors[i % 1000]
            t = f"2026-12-0{1 + i // 30000}T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.000Z"
            await execute(tx, "INSERT INTO appview_post (uri, did, cid, text, created_at, indexed_at) VALUES (?, ?, 'c', 't', ?, ?)", [f"at://{did}/app.bsky.feed.post/{i:08d}", did, t, t])
        viewer = actors[0]
        for j in range(1, 300):
            await execute(tx, "INSERT INTO appview_follow (uri, did, subject_did, created_at, indexed_at) VALUES (?, ?, ?, 'x', 'x')", [f"at://{viewer}/app.bsky.graph.follow/{j}", viewer, actors[j]])
        for k in range(50_000):
            did = actors[k % 1000]
            t = f"2026-12-04T{(k // 3600) % 24:02d}:{(k // 60) % 60:02d}:{k % 60:02d}.000Z"
            await execute(tx, "INSERT INTO appview_like (uri, did, subject_uri, subject_cid, created_at, indexed_at) VALUES (?, ?, ?, 'c', ?, ?)", [f"at://{did}/app.bsky.feed.like/{k}", did, f"at://{actors[((k * 13) % 100000) % 1000]}/app.bsky.feed.post/{(k * 13) % 100000:08d}", t, t])
    await run(db, viewer, "before")
    await execute(db, "CREATE INDEX appview_post_root_sort ON appview_post ((CASE WHEN created_at < indexed_at THEN created_at ELSE indexed_at END), uri) WHERE reply_parent_uri IS NULL")
    await run(db, viewer, "after")


async def run(db, viewer, label):
    for name, call in (
        ("recent", lambda: feed_algorithm_store.recent_posts(db, None, 51)),
        ("recent page 20", lambda: feed_algorithm_store.recent_posts(db, Cursor("2026-12-02T10:00:00.000Z", "at://z"), 51)),
        ("popular", lambda: feed_algorithm_store.liked_by_follows(db, viewer, "2026-12-03T00:00:00.000Z", None, 51)),
    ):
        times = []
        for _ in range(50):
            s = time.perf_counter(); rows = await call(); times.append((time.perf_counter() - s) * 1000)
        times.sort()
        print(f"\nSQL {label} {name}: {len(rows)} rows p50 {statistics.median(times):.1f} p99 {times[-1]:.1f} ms")
