"""Three disjoint splits (defense_train, attack_train, attack_test), fixed by seed, fingerprinted.

Images are ordered by a keyed hash of their id, so a split depends only on the ids and the seed:
not on file order, and adding images to a data set moves few of the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from privattack.errors import DataError

SPLIT_NAMES = ("defense_train", "attack_train", "attack_test")


@dataclass(frozen=True)
class Splits:
    """Index arrays into a data set per split, and a fingerprint (hash of the ids) of each."""

    indices: Mapping[str, np.ndarray]
    fingerprints: Mapping[str, str]

    def sizes(self) -> dict[str, int]:
        """How many images each split holds."""
        return {name: len(idx) for name, idx in self.indices.items()}


def fingerprint(ids: Sequence[str] | np.ndarray) -> str:
    """A short hash of a set of ids (order-independent)."""
    digest = hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode())
    return digest.hexdigest()[:16]


def _hash_order(ids: np.ndarray, seed: int) -> np.ndarray:
    keys = [hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest() for i in ids]
    return np.array(sorted(range(len(ids)), key=keys.__getitem__), dtype=np.int64)


def make_splits(
    ids: Sequence[str] | np.ndarray,
    sizes: Mapping[str, int],
    seed: int,
    partition: np.ndarray | None = None,
) -> Splits:
    """Draw the three splits of ``sizes`` images from ``ids``.

    Args:
        ids: (N,) unique ids of the data set.
        sizes: images per split, keys ``defense_train``, ``attack_train``, ``attack_test``.
        seed: fixes the draw.
        partition: (N,) official partition ("train", "val", "test"); when given, attack_test is
            drawn from "test" (or "val" when there is no test partition) and the other splits
            from the rest, as the paper-scale suites require.

    Raises:
        DataError: the data set holds fewer images than the splits need.
    """
    ids = np.asarray(ids).astype(str)
    missing = [name for name in SPLIT_NAMES if name not in sizes]
    if missing or any(int(sizes[name]) < 0 for name in SPLIT_NAMES):
        raise DataError(f"split sizes need non-negative {', '.join(SPLIT_NAMES)}; got {sizes}.")
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
        pool, n = pools[name], int(sizes[name])
        start = taken.get(id(pool), 0)
        if start + n > len(pool):
            raise DataError(
                f"the splits need {sum(int(sizes[s]) for s in SPLIT_NAMES)} images "
                f"({dict(sizes)}) but the data set has {len(ids)}"
                + ("" if partition is None else " in the partitions they draw from")
                + ". Use a smaller scale or a larger copy of the data set."
            )
        indices[name] = np.sort(pool[start : start + n])
        taken[id(pool)] = start + n
    return Splits(indices, {name: fingerprint(ids[idx]) for name, idx in indices.items()})
