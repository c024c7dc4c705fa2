"""The packaging list names every package folder, the package data ships, and the version
has one source."""

from __future__ import annotations

import tomllib

from conftest import REPO


def _package_folders() -> set[str]:
    return {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "privattack").glob("**/__init__.py")
    }


def test_every_package_folder_is_listed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == _package_folders()


def test_bundled_data_and_suites_ship_as_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    data = config["package-data"]
    assert "data/bundled/*/*.npz" in data["privattack"]
    assert "*.toml" in data["privattack.suites"]
    assert list((REPO / "privattack/data/bundled/fairface").glob("LICENSE.txt"))


def test_the_version_has_one_source() -> None:
    import importlib.metadata

    import privattack

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert privattack.__version__ == importlib.metadata.version("privattack") == declared
