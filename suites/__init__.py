"""The built-in suites: one TOML file each in this folder, loaded and validated on demand.

``privattack.suites.load("celeba_input")`` returns a frozen ``Suite``; ``names()`` lists them.
A path to a TOML file of your own loads the same way.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from privattack.attacks import hyperparameters
from privattack.errors import SuiteError, UnknownNameError
from privattack.registry import attacks
from privattack.suite import Suite, parse_suite

FOLDER = Path(__file__).parent


def names() -> list[str]:
    """The built-in suite names, sorted."""
    return sorted(p.stem for p in FOLDER.glob("*.toml"))


def _attack_params() -> dict[str, tuple[str, ...]]:
    return {name: hyperparameters(attacks.factory(name)) for name in attacks.names()}


@cache
def _load_file(path: Path) -> Suite:
    return parse_text(path.stem, path.read_text(), str(path))


def parse_text(name: str, text: str, file: str = "<text>") -> Suite:
    """A suite from the TOML ``text`` of a suite file (``file`` names it in errors)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(file, "", f"not valid TOML: {error}.") from error
    suite = parse_suite(name, raw, file, _attack_params())
    for attack in suite.attacks:
        target = attacks.factory(attack).target
        if (target == "input") != suite.data.is_input:
            raise SuiteError(
                file,
                f"attacks.{attack}",
                f"attack {attack!r} targets {target}s but the suite's sensitive target is "
                f"{suite.data.sensitive!r}.",
            )
    return suite


def load(name_or_path: str | Path) -> Suite:
    """Load a built-in suite by name, or a suite file by path.

    Raises:
        UnknownNameError: no built-in suite has that name.
        SuiteError: the file is malformed (the message names the file and the key).
    """
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.is_file():
            raise SuiteError(str(path), "", "no such suite file.")
        return _load_file(path.resolve())
    if str(name_or_path) not in names():
        raise UnknownNameError(
            "suite",
            str(name_or_path),
            names(),
            hint="A path to a .toml file loads a suite of your own.",
        )
    return _load_file(FOLDER / f"{name_or_path}.toml")


__all__ = ["Suite", "load", "names", "parse_text"]
