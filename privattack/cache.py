"""The fit cache: a defense fitted in a run and what it released, kept for the next identical run.

An entry lives under ``$PRIVATTACK_CACHE`` (default ``~/.cache/privattack``) in a folder named
by a hash of everything that determines it: the defense (its class, the source of the module
that defines it, its parameters), privattack (its version and a hash of its own source), the
suite's content, the scale, seed, device, torch's version and the fingerprint of every split.
It holds the defense's ``state_dict`` and the released tensors as safetensors, plus
``entry.json`` with the SHA-256 of each file. Entries are written whole (a temporary folder
renamed into place) and read only when every file verifies; anything else is a miss.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from privattack.files import cache_root, replace_folder, sha256_of
from privattack.protocol import Defense
from privattack.release import in_memory_format, memory_format_of
from privattack.version import __version__

ENTRY = "entry.json"
STATE, RELEASED = "state.safetensors", "released.safetensors"
SEPARATOR = "/"  # joins the keys of nested state dicts


@cache
def _package_digest() -> str:
    """SHA-256 over privattack's own source files: any change to the code is a new key."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _source_digest(obj: object) -> str:
    """SHA-256 of the source file that defines ``obj``'s class ("" when there is none)."""
    try:
        file = inspect.getsourcefile(type(obj))
    except TypeError:
        file = None
    return hashlib.sha256(Path(file).read_bytes()).hexdigest() if file else ""


def key_material(defense: Defense, params: Mapping[str, Any], **context: Any) -> dict[str, Any]:
    """Everything that determines a fit and its release (``context``: suite digest, scale,
    seed, device, split fingerprints, ...), as JSON-ready data."""
    kind = type(defense)
    material = {
        "defense": f"{kind.__module__}.{kind.__qualname__}",
        "defense_source": _source_digest(defense),
        "params": params,
        "privattack": __version__,
        "privattack_source": _package_digest(),
        "torch": torch.__version__,
        **context,
    }
    return json.loads(json.dumps(material, sort_keys=True, default=str))


def entry_key(material: Mapping[str, Any]) -> str:
    """The entry's name: a hash of its key material."""
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


def flatten(state: Mapping[str, Any], prefix: str = "") -> dict[str, Tensor] | None:
    """A nested ``state_dict`` as flat tensors (keys joined by "/"); None when it holds
    anything but tensors, which safetensors cannot store."""
    flat: dict[str, Tensor] = {}
    for key, value in state.items():
        if SEPARATOR in str(key):
            return None
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            inner = flatten(value, f"{name}{SEPARATOR}")
            if inner is None:
                return None
            flat.update(inner)
        elif isinstance(value, Tensor):
            flat[name] = value.detach().cpu().clone().contiguous()
        else:
            return None
    return flat


def unflatten(flat: Mapping[str, Tensor]) -> dict[str, Any]:
    """The nested ``state_dict`` that ``flatten`` flattened."""
    state: dict[str, Any] = {}
    for name, tensor in flat.items():
        *outer, last = name.split(SEPARATOR)
        node = state
        for part in outer:
            node = node.setdefault(part, {})
        node[last] = tensor
    return state


@dataclass(frozen=True)
class Entry:
    """What a cache entry gives back: the defense's state and the released tensors."""

    state: dict[str, Any]
    tensors: dict[str, Tensor]


def store(
    key: str, material: Mapping[str, Any], state: dict[str, Tensor], tensors: dict[str, Tensor]
) -> Path:
    """Write entry ``key`` whole: the flat ``state``, the released ``tensors``, entry.json."""
    folder = cache_root() / key

    def write(temporary: Path) -> None:
        save_file(state, str(temporary / STATE))
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(temporary / RELEASED))
        entry = {
            "material": material,
            "layouts": {k: memory_format_of(v) for k, v in tensors.items()},
            "sha256": {name: sha256_of(temporary / name) for name in (STATE, RELEASED)},
        }
        (temporary / ENTRY).write_text(json.dumps(entry, indent=2))

    return replace_folder(folder, write)


def lookup(key: str, material: Mapping[str, Any], device: str = "cpu") -> Entry | None:
    """Entry ``key``, when it exists, matches ``material`` and every file verifies; else None.
    The state's tensors are loaded onto ``device`` (an unbuilt defense is built there)."""
    folder = cache_root() / key
    try:
        entry = json.loads((folder / ENTRY).read_text())
        if entry["material"] != material:
            return None
        for name, digest in entry["sha256"].items():
            if sha256_of(folder / name) != digest:
                return None
        state = unflatten(load_file(str(folder / STATE), device=device))
        tensors = load_file(str(folder / RELEASED))
    except (OSError, ValueError, KeyError, TypeError, SafetensorError):
        return None
    layouts = entry["layouts"]
    return Entry(state, {k: in_memory_format(v, layouts[k]) for k, v in tensors.items()})
