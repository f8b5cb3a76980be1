"""The docs stay true: every hook, config key and variable is documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from exprsn_pds import hookspecs
from exprsn_pds.config.schema import CORE_SCHEMA, ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
HOOK_NAMES = sorted(
    name for name, value in vars(hookspecs).items() if name.startswith("pds_") and callable(value)
)
CONFIG_KEYS = sorted(
    f"{section}.{key}"
    for section, spec in CORE_SCHEMA["properties"].items()
    for key in spec.get("properties", {})
)


def test_there_are_hooks_to_document() -> None:
    assert len(HOOK_NAMES) >= 8


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_section_in_plugin_hooks_md(hook: str) -> None:
    text = (ROOT / "docs" / "plugin_hooks.md").read_text()
    assert re.search(rf"^## {hook}$", text, re.MULTILINE), f"{hook} is not documented"


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hookspec_has_a_docstring(hook: str) -> None:
    assert inspect.getdoc(getattr(hookspecs, hook))


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_every_config_key_is_in_the_docs_and_the_example(key: str) -> None:
    assert f"`{key}`" in (ROOT / "docs" / "configuration.md").read_text()
    section, name = key.split(".")
    example = (ROOT / "config" / "pds.example.toml").read_text()
    assert f"[{section}]" in example
    assert re.search(rf"^#? ?{name} = ", example, re.MULTILINE), key


@pytest.mark.parametrize("variable", sorted(ENVIRONMENT))
def test_every_environment_variable_is_documented(variable: str) -> None:
    assert f"`{variable}`" in (ROOT / "docs" / "configuration.md").read_text()


def test_the_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
