"""The errors privattack raises: each says what was expected, what arrived, and what to do.

Every class also derives from the matching built-in, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PrivattackError(Exception):
    """Base class of every error privattack raises on purpose."""


class ArgumentError(PrivattackError, ValueError, TypeError):
    """An argument of a public function is of the wrong type or out of range."""


class ShapeError(PrivattackError, ValueError):
    """A tensor has the wrong shape, dtype or value range."""


class NonFiniteError(PrivattackError, ValueError):
    """A tensor that must be finite holds NaN or inf."""


class DefenseError(PrivattackError, ValueError):
    """A defense broke the Defense protocol (wrong batch size, non-determinism, ...)."""


class ConfigError(PrivattackError, ValueError):
    """A TOML file of privattack's is malformed; ``file``, ``key`` (a dotted path) and, when
    known, ``line`` locate the problem."""

    def __init__(self, file: str, key: str, message: str, line: int = 0) -> None:
        self.file, self.key, self.line = file, key, line
        where = f"{file}:{line}" if line else file
        inside = f"[{key}] " if key else ""
        super().__init__(f"{where}: {inside}{message}")


class SuiteError(ConfigError):
    """A suite file is malformed."""


class GateFileError(ConfigError):
    """A gates file (``privattack.toml``, ``[tool.privattack]``) is malformed."""


class CapabilityError(PrivattackError, TypeError):
    """An operation needs a capability (``fit``, ``client``, ...) the defense lacks."""


class DataNotFoundError(PrivattackError, FileNotFoundError):
    """A data set's files are not where privattack looked for them."""


class DataError(PrivattackError, ValueError):
    """A data set is present but unusable (duplicate ids, too few images, bad labels)."""


class TuningError(PrivattackError, ValueError):
    """A tuning study cannot be used: no finished trial, another setup's study, a bad URL."""


class UnknownNameError(PrivattackError, LookupError):
    """A name (defense, attack, suite, label) is not known; the message lists the known ones."""

    def __init__(self, kind: str, name: str, known: Iterable[str], hint: str = "") -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        close = difflib.get_close_matches(name, self.known, n=1)
        message = f"no {kind} named {name!r}."
        if close:
            message += f" Did you mean {close[0]!r}?"
        message += f" Known: {', '.join(self.known) or '(none)'}."
        if hint:
            message += f" {hint}"
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])
