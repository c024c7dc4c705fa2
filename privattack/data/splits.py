"""Three disjoint splits (defense_train, attack_train, attack_test), fixed by seed, fingerprinted.

Images are ordered by a keyed hash of their id, so a split depends only on the ids and the seed:
not on file order, and adding images to a data set moves few of the others. This is the one
module that knows the splits by name; everything downstream holds ``Split`` values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import Tensor

from privattack.data.images import ImageSet
from privattack.errors import DataError


@dataclass(frozen=True)
class SplitSizes:
    """How many images each split holds (a suite scale's ``splits`` table)."""

    defense_train: int
    attack_train: int
    attack_test: int

    def as_dict(self) -> dict[str, int]:
        """The sizes by split name, for reports."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def total(self) -> int:
        """Images all three splits need."""
        return sum(self.as_dict().values())


SPLIT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SplitSizes))


def fingerprint(ids: Sequence[str] | np.ndarray) -> str:
    """A short hash of a set of ids (order-independent)."""
    digest = hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Split:
    """One split: its images (N, 3, S, S) in [0, 1], their ids and labels, and a fingerprint."""

    images: Tensor
    ids: np.ndarray
    labels: Mapping[str, Tensor]  # label name -> (N,) int64
    fingerprint: str

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: np.ndarray) -> Split:
        """The images at ``rows`` (e.g. tuning's inner split), fingerprinted afresh."""
        index = torch.from_numpy(np.asarray(rows, dtype=np.int64))
        ids = self.ids[rows]
        return Split(
            self.images[index], ids, {k: v[index] for k, v in self.labels.items()}, fingerprint(ids)
        )


@dataclass(frozen=True)
class SuiteSplits:
    """The three splits drawn for one evaluation."""

    defense_train: Split
    attack_train: Split
    attack_test: Split

    def sizes(self) -> dict[str, int]:
        """Images per split, by name (for the report)."""
        return {name: len(getattr(self, name)) for name in SPLIT_NAMES}

    def fingerprints(self) -> dict[str, str]:
        """Fingerprint per split, by name (for the report and every cache key)."""
        return {name: getattr(self, name).fingerprint for name in SPLIT_NAMES}


def _hash_order(ids: np.ndarray, seed: int) -> np.ndarray:
    keys = [hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest() for i in ids]
    return np.array(sorted(range(len(ids)), key=keys.__getitem__), dtype=np.int64)


def make_splits(
    ids: Sequence[str] | np.ndarray,
    sizes: SplitSizes,
    seed: int,
    partition: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Draw the three splits of ``sizes`` images from ``ids``: sorted indices per split name.

    Args:
        ids: (N,) unique ids of the data set.
        sizes: images per split.
        seed: fixes the draw.
        partition: (N,) official partition ("train", "val", "test"); when given, attack_test is
            drawn from "test" (or "val" when there is no test partition) and the other splits
            from the rest, as the paper-scale suites require.

    Raises:
        DataError: the data set holds fewer images than the splits need.
    """
    ids = np.asarray(ids).astype(str)
    wanted = sizes.as_dict()
    if any(n < 0 for n in wanted.values()):
        raise DataError(f"split sizes must be non-negative; got {wanted}.")
    order = _hash_order(ids, seed)
    if partition is None:
        pools = {name: order for name in SPLIT_NAMES}
    else:
        held = "test" if (partition == "test").any() else "val"
        test_pool = order[partition[order] == held]
        train_pool = order[partition[order] != held]
        pools = {"defense_train": train_pool, "attack_train": train_pool, "attack_test": test_pool}
    taken: dict[int, int] = {}  # id(pool) -> how many of it are used
    indices = {}
    for name in SPLIT_NAMES:
        pool, n = pools[name], wanted[name]
        start = taken.get(id(pool), 0)
        if start + n > len(pool):
            raise DataError(
                f"the splits need {sizes.total} images ({wanted}) but the data set has "
                f"{len(ids)}"
                + ("" if partition is None else " in the partitions they draw from")
                + ". Use a smaller scale or a larger copy of the data set."
            )
        indices[name] = np.sort(pool[start : start + n])
        taken[id(pool)] = start + n
    return indices


def labelled_indices(dataset: ImageSet, label_names: Sequence[str]) -> np.ndarray:
    """Indices of images that carry every label needed (-1 marks a missing label)."""
    keep = np.ones(len(dataset), dtype=bool)
    for name in label_names:
        keep &= dataset.label(name) >= 0
    return np.flatnonzero(keep)


def draw_splits(
    dataset: ImageSet,
    labels: Sequence[str],
    sizes: SplitSizes,
    seed: int,
    image_size: int,
    official: bool = False,
) -> SuiteSplits:
    """Draw the splits from the images of ``dataset`` that carry every label in ``labels``,
    decoded at ``image_size``; ``official`` draws attack_test from the official test partition.
    Each split keeps every label of the data set (-1 where an image lacks one), so an attacker
    can read all of them from a reconstruction."""
    usable = labelled_indices(dataset, labels)
    partition = dataset.partition[usable] if official and dataset.partition is not None else None
    indices = make_splits(dataset.ids[usable], sizes, seed, partition)

    def split(rows: np.ndarray) -> Split:
        index = usable[rows]
        ids = dataset.ids[index]
        return Split(
            images=dataset.images(index, image_size),
            ids=ids,
            labels={n: torch.from_numpy(dataset.label(n)[index]) for n in dataset.labels},
            fingerprint=fingerprint(ids),
        )

    return SuiteSplits(**{name: split(rows) for name, rows in indices.items()})
