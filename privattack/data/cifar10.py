"""CIFAR-10: torchvision's official layout (``cifar-10-batches-py``) or npz packs.

The official batches are Python pickles. They are read with an unpickler that only builds
numpy arrays, lists and dicts, so a tampered file cannot run code.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np

from privattack.data.images import ArraySource, ImageSet
from privattack.data.packs import PackLabels, string_list
from privattack.errors import DataError

CLASS_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
LIVING = {"bird", "cat", "deer", "dog", "frog", "horse"}
LIVING_NAMES = ["non-living", "living"]
OFFICIAL_FILES = "cifar-10-batches-py/data_batch_1..5 and test_batch"
HOW_TO_GET = "torchvision.datasets.CIFAR10(root, download=True) on a machine with internet"


def labels_from_pack(pack: Mapping[str, np.ndarray], path: Path) -> PackLabels:
    """Ids, class and living labels of a CIFAR-10 pack."""
    ids = pack["source_ids"].astype(str)
    partition = np.array([i.split("/", 1)[0] for i in ids])
    return PackLabels(
        ids=ids,
        labels={"class": pack["labels"], "living": pack["living"]},
        label_names={"class": string_list(pack["class_names"]), "living": LIVING_NAMES},
        partition=np.where(partition == "test", "test", "train"),
    )


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and builtin containers; refuses every other global."""

    _ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _read_batch(path: Path) -> tuple[np.ndarray, list[int]]:
    try:
        with path.open("rb") as handle:
            batch = _ArrayOnlyUnpickler(handle, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        return data.transpose(0, 2, 3, 1), list(batch[b"labels"])
    except (pickle.UnpicklingError, KeyError, ValueError, EOFError) as error:
        raise DataError(f"{path}: not a CIFAR-10 batch ({error}).") from error


def read_official(folder: Path) -> ImageSet | None:
    """The official python batches under ``folder``, or None when they are not there."""
    batches = folder / "cifar-10-batches-py"
    names = [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]
    if not all((batches / n).is_file() for n in names):
        return None
    images, ids, labels, partition = [], [], [], []
    for name in names:
        data, batch_labels = _read_batch(batches / name)
        split = "test" if name == "test_batch" else "train"
        images.append(data)
        labels.extend(batch_labels)
        partition.extend([split] * len(batch_labels))
    counters: dict[tuple[str, int], int] = {}
    for split, label in zip(partition, labels, strict=True):
        k = counters.get((split, label), 0)
        counters[(split, label)] = k + 1
        ids.append(f"{split}/{CLASS_NAMES[label]}/{k:04d}.jpg")
    labels_array = np.asarray(labels, dtype=np.int64)
    living = np.isin(labels_array, [CLASS_NAMES.index(c) for c in LIVING]).astype(np.int64)
    return ImageSet(
        name="cifar10",
        source=ArraySource(np.concatenate(images)),
        ids=np.asarray(ids),
        labels={"class": labels_array, "living": living},
        label_names={"class": CLASS_NAMES, "living": LIVING_NAMES},
        origin=str(batches),
        layout="official",
        partition=np.asarray(partition),
    )
