"""Writing files so that nothing half-written is ever read: a temporary file (or folder) beside
the target, renamed onto it once complete. Leftovers of a killed writer are swept by the next."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

from privattack.errors import DataError

PARTIAL = ".partial-"  # prefix of temporaries: never read, removed by the next writer
CACHE_ENV = "PRIVATTACK_CACHE"


def cache_root() -> Path:
    """``$PRIVATTACK_CACHE``, else ``~/.cache/privattack``: fitted defenses, and the face
    model's embeddings of galleries (``faces/``)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "privattack").expanduser()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; when the block ends without error it is renamed onto
    ``path`` (a file is whole or absent), otherwise removed."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{PARTIAL}{path.name}.")
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(payload)


def contained(folder: Path, name: object, named_in: str) -> Path:
    """``folder / name`` for a relative ``name`` that stays inside ``folder`` (no "..", not
    absolute); ``named_in`` (the file that names it) is refused otherwise."""
    if not isinstance(name, str) or not name:
        raise DataError(f"{named_in}: names the file {name!r}, which is not a file name.")
    parts = PurePath(name).parts
    if PurePath(name).is_absolute() or ".." in parts or name.startswith(("/", "\\")):
        raise DataError(
            f"{named_in}: names the file {name!r}, which lies outside {folder}; refusing to "
            "read it."
        )
    return folder / name


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file at ``path``, hex."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def sweep_partials(folder: Path, name: str) -> None:
    """Remove the temporaries a killed writer of ``folder/name`` left behind."""
    for leftover in folder.glob(f"{PARTIAL}{name}.*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def replace_folder(folder: Path, write: Callable[[Path], None]) -> Path:
    """Build ``folder`` anew: ``write(temporary)`` fills a sibling folder, which then takes
    ``folder``'s place whole (the old one is kept until the new one is complete)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    sweep_partials(folder.parent, folder.name)
    temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f"{PARTIAL}{folder.name}."))
    try:
        write(temporary)
        if folder.exists():
            retired = Path(
                tempfile.mkdtemp(dir=folder.parent, prefix=f"{PARTIAL}{folder.name}.old-")
            )
            os.replace(folder, retired / folder.name)
            os.replace(temporary, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return folder
