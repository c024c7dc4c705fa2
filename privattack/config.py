"""Reading privattack's TOML files (suites, ``privattack.toml``): one validator for all of them.

A ``Table`` is a TOML table being read: typed lookups whose errors name the file, the line and
the dotted key path, say what was expected and what arrived, and list the allowed keys.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from privattack.errors import ConfigError

Key = str | int  # an int is a 1-based position in an array of tables ([[gate]])
_ARRAY = re.compile(r"\[\[\s*([^\[\]]+?)\s*\]\]")
_TABLE = re.compile(r"\[\s*([^\[\]]+?)\s*\]")
_ASSIGN = re.compile(r"""(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_.-]+))\s*=""")


def _dotted(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in text.split(".")]


def line_of(text: str, path: Sequence[Key]) -> int:
    """The 1-based line of ``text`` that sets (or opens) the key at ``path``; 0 if none does."""
    header: list[Key] = []
    arrays: dict[tuple[str, ...], int] = {}
    target = list(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if match := _ARRAY.fullmatch(line.split("#")[0].strip()):
            name = tuple(_dotted(match.group(1)))
            arrays[name] = arrays.get(name, 0) + 1
            header = [*name, arrays[name]]
        elif match := _TABLE.fullmatch(line.split("#")[0].strip()):
            header = list(_dotted(match.group(1)))
        elif match := _ASSIGN.match(line):
            key = next(g for g in match.groups() if g is not None)
            full = [*header, *_dotted(key)]
            if full == target[: len(full)]:
                return number
            continue
        else:
            continue
        if header == target:
            return number
    return 0


@dataclass(frozen=True)
class Source:
    """A TOML file being read: its name (for messages), its text (for line numbers), the error
    class its problems raise, and the files it includes (a key set there is located there)."""

    file: str
    text: str
    error: type[ConfigError]
    bases: tuple[Source, ...] = ()

    def fail(self, path: Sequence[Key], message: str) -> NoReturn:
        """Raise this file's error at ``path``, naming the file and line that set it."""
        key = ".".join(map(str, path))
        for source in (self, *reversed(self.bases)):  # the last include wins, like the merge
            line = line_of(source.text, path)
            if line:
                raise self.error(source.file, key, message, line)
        raise self.error(self.file, key, message)

    def parse(self) -> dict[str, Any]:
        """The file's TOML, or its error naming the line."""
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            raise self.error(self.file, "", f"not valid TOML: {error}.") from error


def read_source(path: str | Path, error: type[ConfigError], what: str) -> Source:
    """The ``Source`` of the file at ``path``; a missing or unreadable file is ``error``."""
    path = Path(path)
    try:
        return Source(str(path), path.read_text(encoding="utf-8"), error)
    except (OSError, UnicodeDecodeError) as problem:
        reason = "no such file" if isinstance(problem, FileNotFoundError) else str(problem)
        raise error(str(path), "", f"cannot read this {what}: {reason}.") from problem


class Table:
    """A TOML table of ``source`` at ``path``; its lookups raise the source's error."""

    def __init__(self, source: Source, path: Sequence[Key], values: Any) -> None:
        self.source, self.path = source, tuple(path)
        if not isinstance(values, Mapping):
            self.fail(f"must be a table, got {type(values).__name__} {values!r}.")
        self.values: Mapping[str, Any] = values

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        """Raise the source's error at this table (or at its ``key``)."""
        self.source.fail(self.path if key is None else (*self.path, key), message)

    def check_keys(self, allowed: Sequence[str]) -> None:
        """Refuse any key not in ``allowed``, suggesting the closest."""
        for name in self.values:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                self.fail(
                    f"unknown key {name!r}.{hint} Allowed keys: {', '.join(sorted(allowed))}.",
                    name,
                )

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        """The value at ``name``, which must be of ``kind`` (bools are never numbers)."""
        if name not in self.values:
            if default is ...:
                self.fail("missing required key.", name)
            return default
        value = self.values[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            self.fail(f"must be {names}, got {type(value).__name__} {value!r}.", name)
        return value

    def number(self, name: str, default: Any = ...) -> float:
        """A finite int or float at ``name``."""
        value = self.get(name, (int, float), default)
        if value is not default and not math.isfinite(value):
            self.fail(f"must be a finite number, got {value!r}.", name)
        return value

    def positive(self, name: str, default: Any = ..., minimum: int = 1) -> int:
        """An int at ``name`` of at least ``minimum``."""
        value = self.get(name, int, default)
        if value is not default and value < minimum:
            self.fail(f"must be >= {minimum}, got {value}.", name)
        return value

    def table(self, name: str, default: Any = ...) -> Table:
        """The sub-table at ``name``."""
        value = self.values.get(name, default)
        if value is ...:
            self.fail("missing required table.", name)
        return Table(self.source, (*self.path, name), value)
