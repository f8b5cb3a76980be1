"""DAG-CBOR encode/decode cost of exprsn_pds.datamodel next to raw libipld.

Run: .venv/bin/python bench/datamodel_bench.py
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

import libipld

from exprsn_pds.datamodel import Cid, decode, encode

RUNS = 5000
REPEATS = 5
LINK = Cid.for_dag_cbor(b"\xa0")
POST = {
    "$type": "app.bsky.feed.post",
    "text": "Hello from exprsn-pds, a benchmark post with some text in it.",
    "createdAt": "2024-01-01T00:00:00.000Z",
    "langs": ["en"],
}
POST_WITH_BLOB = {
    **POST,
    "embed": {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": "",
                "image": {"$type": "blob", "ref": LINK, "mimeType": "image/png", "size": 1234},
            }
        ],
    },
}
MST_NODE = {
    "l": LINK,
    "e": [
        {"p": i, "k": f"app.bsky.feed.post/3k{i:011d}".encode(), "v": LINK, "t": None}
        for i in range(6)
    ],
}


def best_us(action: Callable[[], Any]) -> float:
    """Best per-call time in microseconds."""
    return min(timeit.repeat(action, number=RUNS, repeat=REPEATS)) / RUNS * 1e6


def main() -> None:
    print(f"{'value':<16}{'encode µs':>12}{'raw':>8}{'decode µs':>12}{'raw':>8}")
    for name, value in (("post", POST), ("post+blob", POST_WITH_BLOB), ("mst node", MST_NODE)):
        block = encode(value)
        raw_value = libipld.decode_dag_cbor(block)
        print(
            f"{name:<16}{best_us(lambda v=value: encode(v)):>12.2f}"  # type: ignore[misc]
            f"{best_us(lambda v=raw_value: libipld.encode_dag_cbor(v)):>8.2f}"  # type: ignore[misc]
            f"{best_us(lambda b=block: decode(b)):>12.2f}"  # type: ignore[misc]
            f"{best_us(lambda b=block: libipld.decode_dag_cbor(b)):>8.2f}"  # type: ignore[misc]
        )


if __name__ == "__main__":
    main()
