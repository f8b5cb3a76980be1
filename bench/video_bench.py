"""Benchmark of the video plugin's ``/vid`` route: time to first playlist, and cached files.

Starts ``pds serve`` on 127.0.0.1 (SQLite, no Redis, one worker, a fresh data directory,
the ``video`` plugin with its defaults), makes distinct 10 s 1280 x 720 30 fps H.264 + AAC
MP4 clips with PyAV (a textured picture panning, about 1-2 MB each, keyframe every 2 s),
uploads each through ``uploadBlob`` and uses it in a record, then drives the route with one
aiohttp client session:

- **first playlist**: each clip's ``playlist.m3u8`` once, one at a time (the servability
  checks, the blob copied out of the store, the remux into fragmented MP4 segments, the
  cache folder renamed into place): the time a player waits before it can start;
- **first thumbnail**: each clip's ``thumbnail.jpg`` once (one frame decoded, scaled, JPEG);
- **hit segment**: ``seg0.m4s`` of the clips again, 32 at a time (the checks, then the
  cached file);
- **hit playlist**: ``playlist.m3u8`` again, 32 at a time.

Prints ops/s, p50/p95/p99 latency, server and client CPU per request and the server's
peak RSS. Every loop is bounded in count.

Run: .venv/bin/python bench/video_bench.py [--quick] [--clips N] [--hits N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
from collections.abc import Awaitable, Callable
from fractions import Fraction
from pathlib import Path
from urllib.parse import quote

import aiohttp
import av
from pds_bench import MAX_CONNECTIONS, REQUEST_TIMEOUT_S, ServerCpu, prepare, report, serving
from pds_bench import run_concurrently as run
from PIL import Image, ImageChops

SIZE = (1280, 720)
FPS = 30
SECONDS = 10
SAMPLE_RATE = 44_100


def clip(seed: int) -> bytes:
    """A 10 s MP4 (H.264 + silent AAC) of a textured picture panning, distinct per ``seed``."""
    noise = Image.effect_noise(SIZE, 20 + seed % 10)
    gradient = Image.linear_gradient("L").resize(SIZE)
    tint = Image.new("L", SIZE, (seed * 37) % 256)
    base = Image.merge("RGB", (gradient, noise, tint))
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as output:
        video = output.add_stream("libx264", rate=FPS)
        video.width, video.height = SIZE
        video.pix_fmt = "yuv420p"
        video.options = {"preset": "veryfast", "crf": "28", "g": str(2 * FPS)}
        audio = output.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "stereo"
        for n in range(SECONDS * FPS):
            frame = av.VideoFrame.from_image(ImageChops.offset(base, n * 4, n * 2))
            for packet in video.encode(frame):
                output.mux(packet)
        for packet in video.encode():
            output.mux(packet)
        done = 0
        while done < SECONDS * SAMPLE_RATE:
            sound = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
            for plane in sound.planes:
                plane.update(bytes(plane.buffer_size))
            sound.sample_rate, sound.pts = SAMPLE_RATE, done
            sound.time_base = Fraction(1, SAMPLE_RATE)
            done += 1024
            for packet in audio.encode(sound):
                output.mux(packet)
        for packet in audio.encode():
            output.mux(packet)
    return out.getvalue()


async def upload_clips(
    http: aiohttp.ClientSession, did: str, token: str, clips: list[bytes]
) -> list[str]:
    """Each clip uploaded and used in a record; their CIDs."""
    headers = {"Authorization": f"Bearer {token}"}
    cids = []
    for n, data in enumerate(clips):
        async with http.post(
            "/xrpc/com.atproto.repo.uploadBlob",
            data=data,
            headers={**headers, "Content-Type": "video/mp4"},
        ) as uploaded:
            blob = (await uploaded.json())["blob"]
        record = {
            "repo": did,
            "collection": "com.example.file",
            "rkey": f"vid{n}",
            "record": {"file": blob},
        }
        async with http.post(
            "/xrpc/com.atproto.repo.putRecord", json=record, headers=headers
        ) as written:
            await written.read()
        cids.append(blob["ref"]["$link"])
    return cids


async def main(clip_count: int, hits: int) -> None:
    clips = [clip(n) for n in range(clip_count)]
    average = sum(len(data) for data in clips) / len(clips) / 1e6
    print(f"{clip_count} clips of {SECONDS} s {SIZE[0]}x{SIZE[1]} {FPS} fps, {average:.2f} MB")
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        [(did, token)] = await prepare(data, ["videobench"])
        async with (
            serving(data) as (url, pid),
            aiohttp.ClientSession(
                url,
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
                raise_for_status=True,
            ) as http,
        ):
            cids = await upload_clips(http, did, token, clips)
            base = [f"/vid/{quote(did, safe='')}/{cid}" for cid in cids]
            cpu = ServerCpu(pid)
            sizes: dict[str, list[int]] = {}

            def get(name: str, cache: str) -> Callable[[int], Awaitable[None]]:
                async def fetch(index: int) -> None:
                    async with http.get(f"{base[index % len(base)]}/{name}") as response:
                        assert response.headers["X-Cache"] == cache, response.headers
                        sizes.setdefault(name, []).append(len(await response.read()))

                return fetch

            for label, name, cache, count, concurrency in (
                ("first playlist (c1)", "playlist.m3u8", "miss", len(cids), 1),
                ("first thumbnail (c1)", "thumbnail.jpg", "miss", len(cids), 1),
                ("hit seg0.m4s (c32)", "seg0.m4s", "hit", hits, 32),
                ("hit playlist.m3u8 (c32)", "playlist.m3u8", "hit", hits, 32),
            ):
                cpu.lap()
                elapsed, latencies = await run(count, concurrency, get(name, cache))
                report(label, count, elapsed, latencies, cpu)
            segment_kb = sum(sizes["seg0.m4s"]) / len(sizes["seg0.m4s"]) / 1000
            print(f"{'':<34}seg0.m4s {segment_kb:.0f} kB on average")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fifth of the requests")
    parser.add_argument("--clips", type=int, default=5, help="distinct clips (first requests)")
    parser.add_argument("--hits", type=int, default=3000, help="cache hits per case")
    arguments = parser.parse_args()
    scale = 5 if arguments.quick else 1
    asyncio.run(main(max(1, arguments.clips // scale), max(1, arguments.hits // scale)))
