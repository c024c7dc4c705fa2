"""The packaging list names every package folder, and the mapped folders never install top-level."""

from __future__ import annotations

import importlib.util
import tomllib

from conftest import REPO

MAPPED = {
    "defenses": "privattack.defenses",
    "adapters": "privattack.adapters",
    "suites": "privattack.suites",
}


def _package_folders() -> set[str]:
    found = set()
    for init in REPO.glob("**/__init__.py"):
        folder = init.parent.relative_to(REPO)
        top = folder.parts[0]
        if top == "privattack":
            found.add(".".join(folder.parts))
        elif top in MAPPED:
            found.add(".".join((MAPPED[top], *folder.parts[1:])))
    return found


def test_every_package_folder_is_listed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == _package_folders()
    assert config["package-dir"] == {v: k for k, v in MAPPED.items()}


def test_mapped_folders_are_not_top_level_modules() -> None:
    for name in MAPPED:
        assert importlib.util.find_spec(name) is None, f"a top-level {name!r} is importable"
        assert importlib.util.find_spec(MAPPED[name]) is not None


def test_bundled_data_and_suites_ship_as_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    data = config["package-data"]
    assert "data/bundled/*/*.npz" in data["privattack"]
    assert "*.toml" in data["privattack.suites"]
    assert list((REPO / "privattack/data/bundled/fairface").glob("LICENSE.txt"))
