"""``[plugins.appview]``: the plugin's settings, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from exprsn_pds import Pds

PLUGIN_NAME: Final = "appview"
KNOWN_FOLLOWERS_MAX: Final = 5
"""Followers ``viewer.knownFollowers`` lists by default (the official AppView's)."""
FEED_TIMEOUT_S: Final = 10.0
"""How long ``getFeed`` waits for another feed generator's skeleton (the official's)."""


@dataclass(frozen=True)
class AppviewSettings:
    """``[plugins.appview]``, with defaults (see ``docs/configuration.md``)."""

    public_reads: bool = False
    labelers: tuple[str, ...] = ()
    suggested_actors: tuple[str, ...] = ()
    suggested_feeds: tuple[str, ...] = ()
    known_followers_max: int = KNOWN_FOLLOWERS_MAX
    feed_timeout_s: float = FEED_TIMEOUT_S
    trusted_verifiers: frozenset[str] = frozenset()

    @classmethod
    def of(cls, pds: Pds) -> AppviewSettings:
        """The settings of ``pds``."""
        section = pds.settings.plugin_config(PLUGIN_NAME)
        return cls(
            public_reads=bool(section.get("public_reads", False)),
            labelers=tuple(section.get("labelers", ())),
            suggested_actors=tuple(section.get("suggested_actors", ())),
            suggested_feeds=tuple(section.get("suggested_feeds", ())),
            known_followers_max=int(section.get("known_followers_max", KNOWN_FOLLOWERS_MAX)),
            feed_timeout_s=float(section.get("feed_timeout_s", FEED_TIMEOUT_S)),
            trusted_verifiers=frozenset(section.get("trusted_verifiers", ())),
        )
