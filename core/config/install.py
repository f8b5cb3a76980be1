"""Install defaults: the settings a data directory was set up with at its first start.

Some defaults changed for new installs without changing for existing ones: rate limits
are on for a data directory first started by this version (as the official installer
writes ``PDS_RATE_LIMITS_ENABLED=true``) and stay off for one that existed before. The
first start records the choice in ``<data_directory>/install.toml``; it applies to
every setting it names that neither the config file, the environment nor overrides set.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import tomli_w

from exprsn_pds.config.errors import ConfigError

INSTALL_FILENAME: Final = "install.toml"
#: Files whose presence shows that a data directory was in use before install.toml.
EARLIER_INSTALL_MARKERS: Final = ("secrets.toml", "pds.sqlite", "master_keys.toml")
NEW_INSTALL: Final[dict[str, dict[str, Any]]] = {"rate_limits": {"enabled": True}}
EARLIER_INSTALL: Final[dict[str, dict[str, Any]]] = {"rate_limits": {"enabled": False}}


def install_defaults(data_directory: Path, *, record: bool) -> dict[str, dict[str, Any]]:
    """The install defaults of ``data_directory``, recorded there first when ``record``.

    Without ``record`` (a client of a running server) nothing is written; a directory
    without the file is then taken as a new install.
    """
    path = data_directory / INSTALL_FILENAME
    if path.exists():
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path} is not valid TOML: {error}") from error
    earlier = any((data_directory / name).exists() for name in EARLIER_INSTALL_MARKERS)
    chosen = EARLIER_INSTALL if earlier else NEW_INSTALL
    if record:
        data_directory.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Defaults chosen at this data directory's first start (docs/configuration.md).\n"
            + tomli_w.dumps(chosen)
        )
    return {section: dict(values) for section, values in chosen.items()}


def explicit_keys(*trees: Mapping[str, Any]) -> set[str]:
    """The dotted ``section.key`` names set in any of ``trees`` (nested like the TOML file)."""
    return {
        f"{section}.{key}"
        for tree in trees
        for section, values in tree.items()
        if isinstance(values, Mapping)
        for key in values
    }
