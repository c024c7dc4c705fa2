"""npz packs (the formats of ``../shared/data/README.md``): read all packs of a folder together."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from privattack.data.images import ArraySource, ConcatSource, ImageSet, ImageSource, JpegPackSource
from privattack.errors import DataError


@dataclass(frozen=True)
class PackLabels:
    """What a data set's reader takes from one pack: ids, labels, class names, partition."""

    ids: np.ndarray
    labels: Mapping[str, np.ndarray]
    label_names: Mapping[str, Sequence[str]]
    partition: np.ndarray | None = None


def pack_source(pack: Mapping[str, np.ndarray], path: Path) -> ImageSource:
    """The image source of one pack: a jpeg-pack or decoded ``images``."""
    if "jpeg_bytes" in pack and "jpeg_offsets" in pack:
        return JpegPackSource(pack["jpeg_bytes"], pack["jpeg_offsets"])
    if "images" in pack:
        images = pack["images"]
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise DataError(
                f"{path}: 'images' must be uint8 (N, H, W, 3), got {images.dtype} {images.shape}."
            )
        return ArraySource(images)
    raise DataError(
        f"{path}: neither a jpeg-pack ('jpeg_bytes' + 'jpeg_offsets') nor a decoded pack "
        f"('images'); arrays found: {', '.join(sorted(pack))}."
    )


def _read_pack(path: Path) -> dict[str, np.ndarray]:
    """Every array of the npz pack at ``path``; never unpickles (a pickled array is refused)."""
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{path}: not an npz pack (not a zip archive: truncated, or another kind of file). "
            "Copy it again or remove it from the folder."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            pack = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        if isinstance(error, ValueError) and "pickle" in str(error):
            raise DataError(
                f"{path}: holds an object array, which privattack does not unpickle ({error})."
            ) from error
        raise DataError(
            f"{path}: not a readable npz pack ({type(error).__name__}: {error}); it may be "
            "truncated or corrupt. Copy it again or remove it from the folder."
        ) from error
    stray = sorted(key for key, value in pack.items() if not isinstance(value, np.ndarray))
    if stray:
        raise DataError(f"{path}: its members {stray} are not numpy arrays; not an npz pack.")
    return pack


def read_packs(
    folder: Path,
    name: str,
    labels_of: Callable[[Mapping[str, np.ndarray], Path], PackLabels],
    layout: str = "npz",
) -> ImageSet | None:
    """Every ``*.npz`` pack in ``folder`` as one ImageSet, or None when there is none.

    Duplicate ids across packs are an error: packs of one folder must hold disjoint images.
    """
    paths = sorted(folder.glob("*.npz"))
    if not paths:
        return None
    sources, metas = [], []
    for path in paths:
        pack = _read_pack(path)
        try:
            meta = labels_of(pack, path)
        except KeyError as error:
            raise DataError(
                f"{path}: lacks the array {error.args[0]!r} that a {name} pack holds; arrays "
                f"found: {', '.join(sorted(pack)) or 'none'}."
            ) from error
        source = pack_source(pack, path)
        if len(source) != len(meta.ids):
            raise DataError(f"{path}: {len(source)} images but {len(meta.ids)} ids.")
        sources.append(source)
        metas.append(meta)
    ids = np.concatenate([m.ids for m in metas]).astype(str)
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise DataError(
            f"{folder}: the packs share ids (e.g. {unique[counts > 1][0]!r}); packs in one "
            "folder must hold disjoint images. Remove the duplicate pack."
        )
    label_keys = set(metas[0].labels)
    labels = {
        key: np.concatenate([m.labels[key] for m in metas]).astype(np.int64) for key in label_keys
    }
    partition = (
        np.concatenate([m.partition for m in metas])
        if all(m.partition is not None for m in metas)
        else None
    )
    return ImageSet(
        name=name,
        source=ConcatSource(sources) if len(sources) > 1 else sources[0],
        ids=ids,
        labels=labels,
        label_names=dict(metas[0].label_names),
        origin=str(folder),
        layout=layout,
        partition=partition,
    )


def string_list(array: np.ndarray) -> list[str]:
    """A pack's name array as a list of Python strings."""
    return [str(value) for value in array.tolist()]
