"""Find a data set: ``data_root`` or ``$PRIVATTACK_DATA``, else the data bundled in the package."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from privattack.data import celeba, cifar10, fairface, utkface
from privattack.data.images import ImageSet
from privattack.data.packs import PackLabels, read_packs
from privattack.errors import DataNotFoundError, UnknownNameError

BUNDLED_ROOT = Path(__file__).parent / "bundled"
DATA_ENV = "PRIVATTACK_DATA"


@dataclass(frozen=True)
class Reader:
    """How to read one data set: its official layout, its packs, and how to get it."""

    read_official: Callable[[Path], ImageSet | None]
    labels_from_pack: Callable[[Mapping[str, np.ndarray], Path], PackLabels]
    official_files: str
    how_to_get: str


def _reader(module: ModuleType) -> Reader:
    return Reader(
        module.read_official, module.labels_from_pack, module.OFFICIAL_FILES, module.HOW_TO_GET
    )


READERS: dict[str, Reader] = {
    "cifar10": _reader(cifar10),
    "celeba": _reader(celeba),
    "fairface": _reader(fairface),
    "utkface": _reader(utkface),
}


def data_root(root: str | os.PathLike[str] | None = None) -> Path | None:
    """The data root in force: the argument, else ``$PRIVATTACK_DATA``, else None (bundled)."""
    chosen = root if root is not None else os.environ.get(DATA_ENV) or None
    return Path(chosen).expanduser() if chosen is not None else None


def bundled_datasets() -> list[str]:
    """Data sets that ship inside the package."""
    return sorted(p.name for p in BUNDLED_ROOT.iterdir() if p.is_dir() and any(p.glob("*.npz")))


def read_folder(name: str, folder: Path, layout: str = "npz") -> ImageSet | None:
    """The data set ``name`` in ``folder``: the official layout first, then npz packs."""
    reader = READERS[name]
    if folder.is_dir():
        found = reader.read_official(folder)
        if found is not None:
            return found
        return read_packs(folder, name, reader.labels_from_pack, layout=layout)
    return None


_OPENED: dict[tuple[str, str], ImageSet] = {}


def open_dataset(name: str, root: str | os.PathLike[str] | None = None) -> ImageSet:
    """Open data set ``name`` (decoding lazily); the same folder is opened once per process.

    Raises:
        UnknownNameError: ``name`` is not a data set privattack reads.
        DataNotFoundError: the files are missing; the message says where they were looked for.
    """
    if name not in READERS:
        raise UnknownNameError("data set", name, READERS)
    base = data_root(root)
    folder = base / name if base is not None else BUNDLED_ROOT / name
    key = (name, str(folder.resolve()))
    if key not in _OPENED:
        found = read_folder(name, folder, layout="npz" if base is not None else "bundled")
        if found is None:
            raise DataNotFoundError(_missing_message(name, folder, base))
        _OPENED[key] = found
    return _OPENED[key]


def _missing_message(name: str, folder: Path, base: Path | None) -> str:
    reader = READERS[name]
    bundled = ", ".join(bundled_datasets())
    where = (
        f"the data root {base} (from data_root= or ${DATA_ENV})"
        if base is not None
        else f"the bundled data (no data_root given and ${DATA_ENV} unset)"
    )
    return (
        f"data set {name!r} not found in {folder}, under {where}. Expected either its "
        f"official layout ({reader.official_files}) or npz packs (*.npz) in that folder. "
        f"To get it: {reader.how_to_get}; then pass data_root= or set ${DATA_ENV} to the folder "
        f"holding {name}/. Bundled data sets, used when no root is given: {bundled}."
    )
