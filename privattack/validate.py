"""Checks at the boundary: every argument of ``evaluate``, ``tune``, ``export`` and ``sweep`` is
checked before any expensive work, and a bad one is an ``ArgumentError`` that names the
parameter, what it must be and what arrived (scikit-learn's form)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from privattack.errors import ArgumentError


def _fail(name: str, caller: str, must: str, value: Any) -> ArgumentError:
    return ArgumentError(
        f"The {name!r} parameter of {caller} must be {must}. Got {value!r} instead."
    )


def integer(value: Any, name: str, caller: str, minimum: int = 0, optional: bool = False) -> None:
    """``value`` is an int (never a bool) of at least ``minimum`` (or None when ``optional``)."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        must = f"an int >= {minimum}" + (" or None" if optional else "")
        raise _fail(name, caller, must, value)


def flag(value: Any, name: str, caller: str) -> None:
    """``value`` is a bool (a string such as "False" is not)."""
    if not isinstance(value, bool):
        raise _fail(name, caller, "True or False", value)


def number(value: Any, name: str, caller: str, low: float, high: float) -> None:
    """``value`` is a finite number in [``low``, ``high``] (NaN never is)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(name, caller, f"a finite number in [{low:g}, {high:g}]", value)
    if not low <= value <= high:
        raise _fail(name, caller, f"a number in [{low:g}, {high:g}]", value)


def names(value: Any, name: str, caller: str, optional: bool = True) -> None:
    """``value`` is a non-empty list or tuple of strings (or None when ``optional``)."""
    if optional and value is None:
        return
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise _fail(name, caller, "a non-empty list of names, e.g. ['decoder']", value)
    for item in value:
        if not isinstance(item, str):
            raise _fail(name, caller, "a list of names (strings)", value)


def device(value: Any, caller: str) -> None:
    """``value`` names a device torch has here ("cpu", "cuda", "cuda:1", "mps")."""
    import torch

    if not isinstance(value, str):
        raise _fail("device", caller, 'a device name such as "cpu" or "cuda"', value)
    try:
        parsed = torch.device(value)
    except RuntimeError as error:
        raise _fail("device", caller, 'a device name such as "cpu" or "cuda"', value) from error
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ArgumentError(
                f"device {value!r} was asked for, but torch finds no CUDA GPU on this machine "
                f"(torch {torch.__version__}); use device='cpu'."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ArgumentError(
                f"device {value!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)."
            )
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ArgumentError(f"device {value!r}: torch finds no MPS device on this machine.")
    elif parsed.type not in ("cpu", "cuda", "mps"):
        raise _fail("device", caller, '"cpu", "cuda" or "mps"', value)


def path(value: Any, name: str, caller: str, optional: bool = True) -> None:
    """``value`` is a path (a string or an ``os.PathLike``), or None when ``optional``."""
    if optional and value is None:
        return
    if not isinstance(value, str | os.PathLike) or str(value) == "":
        raise _fail(name, caller, "a path (str or pathlib.Path)", value)


def writable_folder(value: Any, name: str, caller: str) -> Path:
    """``value`` is a folder that exists and can be written, or one that can be made."""
    path(value, name, caller, optional=False)
    folder = Path(value)
    if folder.exists() and not folder.is_dir():
        raise ArgumentError(f"{name} {str(folder)!r} exists and is not a folder.")
    parent = folder if folder.exists() else next(p for p in folder.absolute().parents if p.exists())
    if not parent.is_dir():
        raise ArgumentError(f"{name} {str(folder)!r}: {parent} is a file, not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ArgumentError(f"{name} {str(folder)!r}: {parent} is not writable.")
    return folder


def scale(value: Any, caller: str) -> None:
    """``value`` is one of the scales."""
    if value not in ("smoke", "quick", "paper"):
        raise _fail("scale", caller, '"smoke", "quick" or "paper"', value)


def tuning(storage: Any, study: Any, sampler: Any, pruner: Any, caller: str) -> None:
    """Where studies live and Optuna's parts: a URL or an Optuna storage with a study name,
    an Optuna sampler, an Optuna pruner (each may be None)."""
    from privattack.errors import TuningError

    if (storage is None) != (study is None):
        raise TuningError("a stored study needs both storage (a URL) and study (a name).")
    if study is not None and (not isinstance(study, str) or not study):
        raise _fail("study", caller, "a non-empty study name", study)
    if sampler is None and pruner is None and (storage is None or isinstance(storage, str)):
        return  # nothing that needs Optuna to check
    import optuna

    kinds = {
        "storage": (storage, (str, optuna.storages.BaseStorage), "a URL or an Optuna storage"),
        "sampler": (sampler, (optuna.samplers.BaseSampler,), "an Optuna sampler"),
        "pruner": (pruner, (optuna.pruners.BasePruner,), "an Optuna pruner"),
    }
    for name, (value, allowed, must) in kinds.items():
        if value is not None and not isinstance(value, allowed):
            raise _fail(name, caller, must, value)


def run_arguments(caller: str, **given: Any) -> None:
    """Check the arguments ``evaluate`` and its kin share, by name, before any work."""
    checks = {
        "seed": lambda v: integer(v, "seed", caller),
        "trials": lambda v: integer(v, "trials", caller, optional=True),
        "repeats": lambda v: integer(v, "repeats", caller, minimum=1, optional=True),
        "device": lambda v: device(v, caller),
        "attacks": lambda v: names(v, "attacks", caller),
        "data_root": lambda v: path(v, "data_root", caller),
        "scale": lambda v: scale(v, caller),
        "prune": lambda v: flag(v, "prune", caller),
        "cache": lambda v: flag(v, "cache", caller),
        "refit": lambda v: flag(v, "refit", caller),
        "progress": lambda v: flag(v, "progress", caller),
        "images": lambda v: flag(v, "images", caller),
    }
    for name, value in given.items():
        checks[name](value)
