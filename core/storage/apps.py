"""``ModelApp``: one group of tortoise models and the migrations that build their tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

CONNECTION_NAME: Final = "default"


@dataclass(frozen=True)
class ModelApp:
    """Tortoise models that belong together, e.g. the core's or one plugin's.

    ``label`` is the tortoise app label (unique per process), ``models`` the dotted
    paths of the modules that define the models, and ``migrations`` the dotted path of
    the package holding the app's versioned migrations (``None`` only while an app has
    none yet, which :meth:`Database.migrate` refuses).
    """

    label: str
    models: list[str]
    migrations: str | None = None

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError(f"model app {self.label!r} lists no model modules")

    def tortoise_config(self) -> dict[str, Any]:
        """This app's entry in tortoise's ``apps`` config."""
        config: dict[str, Any] = {
            "models": list(self.models),
            "default_connection": CONNECTION_NAME,
        }
        if self.migrations is not None:
            config["migrations"] = self.migrations
        return config


def tortoise_apps_config(apps: Sequence[ModelApp]) -> dict[str, Any]:
    """Tortoise's ``apps`` config for ``apps``; refuses duplicate labels."""
    config: dict[str, Any] = {}
    for app in apps:
        if app.label in config:
            raise ValueError(f"model app label {app.label!r} is registered twice")
        config[app.label] = app.tortoise_config()
    return config
