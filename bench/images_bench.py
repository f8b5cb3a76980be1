"""Benchmark of the images plugin's ``/img`` route: a cache miss and a cache hit.

Starts ``pds serve`` on 127.0.0.1 (SQLite, no Redis, one worker, a fresh data directory),
uploads distinct 2000 x 1500 JPEG photo-like images (a gradient with light noise, 0.8-1.1
MB each, the size the app uploads) and uses each in a record, then drives the route with
one aiohttp client session:

- **miss**: each image once in a preset and format (decode, resize, encode, write the
  cache file, and the servability checks), 4 at a time;
- **hit**: the same URLs again, 32 at a time (the checks, then the cached file).

Prints ops/s, p50/p95/p99 latency, server and client CPU per request and the server's
peak RSS. Every loop is bounded in count.

Run: .venv/bin/python bench/images_bench.py [--quick] [--images N] [--hits N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
from pathlib import Path

import aiohttp
from pds_bench import MAX_CONNECTIONS, REQUEST_TIMEOUT_S, ServerCpu, prepare, report, serving
from pds_bench import run_concurrently as run
from PIL import Image

SOURCE_SIZE = (2000, 1500)
CASES = (("feed_fullsize", "jpeg"), ("avatar", "webp"))


def photo(seed: int) -> bytes:
    """A JPEG of ``SOURCE_SIZE`` with detail everywhere (noise over a gradient), distinct per
    ``seed``."""
    gradient = Image.linear_gradient("L").resize(SOURCE_SIZE)
    noise = Image.effect_noise(SOURCE_SIZE, 8 + seed % 8)
    tint = Image.new("L", SOURCE_SIZE, (seed * 37) % 256)
    image = Image.merge("RGB", (gradient, noise, tint))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


async def upload_images(http: aiohttp.ClientSession, did: str, token: str, count: int) -> list[str]:
    """``count`` distinct images uploaded and used in records; their CIDs."""
    headers = {"Authorization": f"Bearer {token}"}
    cids = []
    for n in range(count):
        async with http.post(
            "/xrpc/com.atproto.repo.uploadBlob",
            data=photo(n),
            headers={**headers, "Content-Type": "image/jpeg"},
        ) as uploaded:
            blob = (await uploaded.json())["blob"]
        record = {
            "repo": did,
            "collection": "com.example.file",
            "rkey": f"img{n}",
            "record": {"file": blob},
        }
        async with http.post(
            "/xrpc/com.atproto.repo.putRecord", json=record, headers=headers
        ) as written:
            await written.read()
        cids.append(blob["ref"]["$link"])
    return cids


async def main(images: int, hits: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        [(did, token)] = await prepare(data, ["picturebench"])
        async with (
            serving(data) as (url, pid),
            aiohttp.ClientSession(
                url,
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
                raise_for_status=True,
            ) as http,
        ):
            cids = await upload_images(http, did, token, images)
            cpu = ServerCpu(pid)
            for preset, image_format in CASES:
                urls = [f"/img/{preset}/plain/{did}/{cid}@{image_format}" for cid in cids]
                sizes: list[int] = []

                async def miss(
                    index: int, urls: list[str] = urls, sizes: list[int] = sizes
                ) -> None:
                    async with http.get(urls[index]) as response:
                        assert response.headers["X-Cache"] == "miss"
                        sizes.append(len(await response.read()))

                async def hit(index: int, urls: list[str] = urls) -> None:
                    async with http.get(urls[index % len(urls)]) as response:
                        assert response.headers["X-Cache"] == "hit"
                        await response.read()

                cpu.lap()
                elapsed, latencies = await run(len(urls), 4, miss)
                report(f"miss {preset}@{image_format} (c4)", len(urls), elapsed, latencies, cpu)
                print(f"{'':<34}output {sum(sizes) / len(sizes) / 1000:.0f} kB on average")
                cpu.lap()
                elapsed, latencies = await run(hits, 32, hit)
                report(f"hit {preset}@{image_format} (c32)", hits, elapsed, latencies, cpu)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fifth of the requests")
    parser.add_argument("--images", type=int, default=60, help="distinct images (misses)")
    parser.add_argument("--hits", type=int, default=3000, help="cache hits per case")
    arguments = parser.parse_args()
    scale = 5 if arguments.quick else 1
    asyncio.run(main(max(1, arguments.images // scale), max(1, arguments.hits // scale)))
