"""Package layout: one import name, ``exprsn_pds``, over the designed top-level folders.

``core/`` is the package ``exprsn_pds`` itself, ``plugins/`` its built-in plugins
(``exprsn_pds.plugins``) and ``lexicons/`` the project's own lexicon documents
(``exprsn_pds.lexicons``). Everything else lives in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

FOLDERS = {"exprsn_pds": "core", "exprsn_pds.plugins": "plugins", "exprsn_pds.lexicons": "lexicons"}


def _packages() -> list[str]:
    found: list[str] = []
    for name, folder in FOLDERS.items():
        found.append(name)
        found += [
            f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"])
        ]
    return found


setup(package_dir=FOLDERS, packages=_packages())
