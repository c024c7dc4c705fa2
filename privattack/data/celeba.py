"""CelebA: torchvision's official layout (aligned images, attribute and partition lists) or npz."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from privattack.data.images import FileSource, ImageSet
from privattack.data.packs import PackLabels, string_list
from privattack.errors import DataError
from privattack.files import contained

OFFICIAL_FILES = "img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt"
HOW_TO_GET = (
    "torchvision.datasets.CelebA(root, download=True) on a machine with internet, or the "
    "aligned images and lists from the CelebA site; non-commercial research use only"
)
_PARTITIONS = np.array(["train", "val", "test"])
# CelebA's official partition by image number (list_eval_partition.txt).
_LAST_TRAIN, _LAST_VAL = 162770, 182637


def _binary_names(attr_names: list[str]) -> dict[str, list[str]]:
    return {name: [f"not {name}", name] for name in attr_names}


def partition_of(image_ids: np.ndarray) -> np.ndarray:
    """Official partition of CelebA ids like ``000001.jpg``, from the published boundaries."""
    numbers = np.array([int(Path(i).stem) for i in image_ids])
    return _PARTITIONS[(numbers > _LAST_TRAIN).astype(int) + (numbers > _LAST_VAL)]


def labels_from_pack(pack: Mapping[str, np.ndarray], path: Path) -> PackLabels:
    """Ids and the 40 binary attributes of a CelebA pack."""
    names = string_list(pack["attr_names"])
    attrs = pack["attrs"].astype(np.int64)
    ids = pack["image_ids"].astype(str)
    return PackLabels(
        ids=ids,
        labels={name: attrs[:, k] for k, name in enumerate(names)},
        label_names=_binary_names(names),
        partition=partition_of(ids),
    )


def read_official(folder: Path) -> ImageSet | None:
    """The official layout in ``folder`` or ``folder/celeba`` (torchvision's root), else None."""
    for root in (folder, folder / "celeba"):
        images = root / "img_align_celeba"
        attr_file, part_file = root / "list_attr_celeba.txt", root / "list_eval_partition.txt"
        if images.is_dir() and attr_file.is_file() and part_file.is_file():
            break
    else:
        return None
    lines = attr_file.read_text().splitlines()
    try:
        names = lines[1].split()
        rows = [line.split() for line in lines[2:] if line.strip()]
        ids = np.array([row[0] for row in rows])
        attrs = (np.array([[int(v) for v in row[1:]] for row in rows]) > 0).astype(np.int64)
        partition_map = dict(line.split() for line in part_file.read_text().splitlines() if line)
        partition = _PARTITIONS[[int(partition_map[i]) for i in ids]]
    except (IndexError, ValueError, KeyError) as error:
        raise DataError(f"{root}: malformed CelebA list files ({error!r}).") from error
    if attrs.shape[1] != len(names):
        raise DataError(f"{attr_file}: {len(names)} attribute names but {attrs.shape[1]} columns.")
    present = np.array([contained(images, str(i), str(attr_file)).is_file() for i in ids])
    ids, attrs, partition = ids[present], attrs[present], partition[present]
    return ImageSet(
        name="celeba",
        source=FileSource(images, [str(i) for i in ids], str(attr_file)),
        ids=ids,
        labels={name: attrs[:, k] for k, name in enumerate(names)},
        label_names=_binary_names(names),
        origin=str(root),
        layout="official",
        partition=partition,
    )
