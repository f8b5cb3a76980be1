"""Feed algorithms plugins contribute (hook ``pds_feed_algorithms``), served by this server
as a feed generator (``app.bsky.feed.getFeedSkeleton``, ``describeFeedGenerator``).

An algorithm is named (its name is the record key of the ``app.bsky.feed.generator``
record that publishes it, so at most 15 characters of ``[a-zA-Z0-9-]``) and is an async
callable ``fetch(pds, viewer, limit, cursor) -> FeedSkeleton``: ``viewer`` is the DID of
the account asking (``None`` when nobody signed in), ``limit`` 1 to 100, ``cursor`` the
one the previous page gave (opaque: the algorithm parses it and raises
:class:`~exprsn_pds.InvalidRequest` for one it did not make).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from exprsn_pds.registrars import PluginStartupError

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

ALGORITHM_NAME: Final = re.compile(r"^[a-zA-Z0-9-]{1,15}$")
"""What a name may be: the official feed generator record keys (``[a-zA-Z0-9-]``, ≤ 15)."""


@dataclass(frozen=True)
class SkeletonItem:
    """One item of a skeleton: a post, the repost that brought it (if any) and an opaque
    ``feed_context`` the client sends back with interactions."""

    post: str
    repost: str | None = None
    feed_context: str | None = None


@dataclass(frozen=True)
class FeedSkeleton:
    """A page of a feed: its items in order, the next page's cursor, an optional
    ``req_id`` (given back to clients on every item)."""

    items: list[SkeletonItem]
    cursor: str | None = None
    req_id: str | None = None


FeedFetch = Callable[["Pds", "str | None", int, "str | None"], Awaitable[FeedSkeleton]]
"""``fetch(pds, viewer, limit, cursor)``: a page of the feed for ``viewer``."""


@dataclass(frozen=True)
class FeedAlgorithm:
    """A feed this server generates: ``name`` (the generator record's key),
    ``display_name`` and ``description`` (what its published record says) and
    ``fetch``."""

    name: str
    display_name: str
    fetch: FeedFetch = field(repr=False)
    description: str = ""


def collect_algorithms(answers: Iterable[tuple[str, list[object]]]) -> dict[str, FeedAlgorithm]:
    """The algorithms of every plugin's ``pds_feed_algorithms`` answers, by name; a bad
    or repeated name stops start-up naming the plugins."""
    found: dict[str, FeedAlgorithm] = {}
    owners: dict[str, str] = {}
    for plugin, results in answers:
        for result in results:
            if not isinstance(result, Iterable):
                raise PluginStartupError(
                    f"plugin {plugin}: pds_feed_algorithms answers a list of FeedAlgorithm"
                )
            for algorithm in result:
                _add(found, owners, plugin, algorithm)
    return found


def _add(
    found: dict[str, FeedAlgorithm], owners: dict[str, str], plugin: str, algorithm: object
) -> None:
    if not isinstance(algorithm, FeedAlgorithm):
        raise PluginStartupError(f"plugin {plugin}: {algorithm!r} is not a FeedAlgorithm")
    if not ALGORITHM_NAME.match(algorithm.name):
        raise PluginStartupError(
            f"plugin {plugin}: feed algorithm name {algorithm.name!r} is not 1 to 15"
            " characters of [a-zA-Z0-9-]"
        )
    if algorithm.name in found:
        raise PluginStartupError(
            f"plugin {plugin}: feed algorithm {algorithm.name!r} is already"
            f" provided by plugin {owners[algorithm.name]}"
        )
    found[algorithm.name] = algorithm
    owners[algorithm.name] = plugin
