"""The suites: one TOML file each in this folder (package data), loaded and validated on demand.

``privattack.suites.load("celeba_input")`` returns a frozen ``Suite``; ``names()`` lists the
built-in ones; a path to a ``.toml`` file of your own loads the same way. A suite may start
with ``include = ["_input.toml", "_celeba.toml"]``: files beside it (never outside its folder)
whose tables it extends, later ones and then its own keys taking precedence. Files whose name
starts with ``_`` are such shared bases, not suites.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from privattack.config import Source, Table, read_source
from privattack.errors import ArgumentError, SuiteError, UnknownNameError
from privattack.registry import attacks
from privattack.suites.schema import SCALES, Budget, DataSpec, Scale, Suite, parse_suite

FOLDER = Path(__file__).parent


def names() -> list[str]:
    """The built-in suite names, sorted."""
    return sorted(p.stem for p in FOLDER.glob("*.toml") if not p.name.startswith("_"))


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s keys on top, tables merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        both_tables = isinstance(below, Mapping) and isinstance(value, Mapping)
        merged[key] = _merge(below, value) if both_tables else value
    return merged


def _included(source: Source, raw: Mapping[str, Any], folder: Path | None) -> list[Path]:
    """The files ``raw`` includes, each checked to lie in ``folder``."""
    value = raw.get("include", [])
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
        source.fail(["include"], f"must be a file name or a list of them, got {value!r}.")
    if listed and folder is None:
        source.fail(["include"], "a suite given as text cannot include files.")
    paths = []
    for name in listed:
        path = (folder / name).resolve()  # type: ignore[operator]
        if path.parent != folder.resolve() or path.suffix != ".toml":  # type: ignore[union-attr]
            source.fail(["include"], f"{name!r} must name a .toml file in the suite's own folder.")
        paths.append(path)
    return paths


def _resolve(
    source: Source, folder: Path | None, chain: tuple[Path, ...]
) -> tuple[dict[str, Any], Source]:
    """``source``'s TOML with its includes merged in, and the source that knows them all."""
    raw = source.parse()
    resolved: dict[str, Any] = {}
    bases: list[Source] = []
    for path in _included(source, raw, folder):
        if path in chain:
            source.fail(["include"], f"{path.name} includes itself (through {chain[-1].name}).")
        content, base = _resolve(
            read_source(path, SuiteError, "included suite file"), path.parent, (*chain, path)
        )
        resolved = _merge(resolved, content)
        bases += [*base.bases, base]
    own = {k: v for k, v in raw.items() if k != "include"}
    return _merge(resolved, own), dataclasses.replace(source, bases=tuple(bases))


def _attack_knobs() -> dict[str, dict[str, Any]]:
    """Each attack's hyper-parameters and their types (its Config dataclass)."""
    from privattack.attacks.base import hyperparameter_types

    return {name: hyperparameter_types(attacks.factory(name)) for name in attacks.names()}


def parse_content(name: str, content: Mapping[str, Any], source: Source) -> Suite:
    """A suite from its resolved TOML ``content`` (``source`` names it in errors)."""
    suite = parse_suite(name, Table(source, (), content), _attack_knobs(), source.file)
    for attack in suite.attacks:
        target = attacks.factory(attack).target
        if (target == "input") != suite.data.is_input:
            source.fail(
                ["attacks", attack],
                f"attack {attack!r} targets {target}s but the suite's sensitive target is "
                f"{suite.data.sensitive!r}.",
            )
    return suite


def parse_text(name: str, text: str, file: str = "<text>") -> Suite:
    """A suite from the TOML ``text`` of a suite file without includes (``file`` names it)."""
    return parse_content(name, *_resolve(Source(file, text, SuiteError), None, ()))


@cache
def _load_file(path: Path) -> Suite:
    source = read_source(path, SuiteError, "suite file")
    return parse_content(path.stem, *_resolve(source, path.parent, (path,)))


def load(name_or_path: str | Path) -> Suite:
    """Load a built-in suite by name, or a suite file by path.

    Raises:
        UnknownNameError: no built-in suite has that name.
        SuiteError: the file is malformed (the message names the file, line and key).
    """
    if isinstance(name_or_path, Suite):
        return name_or_path
    if not isinstance(name_or_path, str | os.PathLike):
        raise ArgumentError(
            f"a suite is a name (e.g. 'fairface_input'), a path to a .toml file or a Suite; "
            f"got {name_or_path!r}."
        )
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if path.is_dir():
            raise SuiteError(str(path), "", "is a folder; give the suite's .toml file.")
        return _load_file(path.resolve())
    if str(name_or_path) not in names():
        raise UnknownNameError(
            "suite",
            str(name_or_path),
            names(),
            hint="A path to a .toml file loads a suite of your own.",
        )
    return _load_file(FOLDER / f"{name_or_path}.toml")


__all__ = [
    "SCALES",
    "Budget",
    "DataSpec",
    "Scale",
    "Suite",
    "load",
    "names",
    "parse_content",
    "parse_text",
]
