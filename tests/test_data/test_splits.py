"""Splits are disjoint, sized as asked, fixed by the seed, independent of file order, and
the same wherever they are drawn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from privattack import adapters, suites
from privattack.data import SPLIT_NAMES, SplitSizes, draw_splits, make_splits, open_dataset
from privattack.errors import DataError
from privattack.prepare import prepare

ids_strategy = st.lists(st.text(min_size=1, max_size=8), min_size=6, max_size=80, unique=True)


@st.composite
def split_case(draw: st.DrawFn) -> tuple[list[str], SplitSizes, int]:
    ids = draw(ids_strategy)
    a = draw(st.integers(0, len(ids) - 4))
    b = draw(st.integers(2, len(ids) - a - 2))
    c = draw(st.integers(2, len(ids) - a - b))
    return ids, SplitSizes(a, b, c), draw(st.integers(0, 2**31))


def _fingerprints(ids: list[str], indices: dict[str, np.ndarray]) -> dict[str, str]:
    from privattack.data import fingerprint

    return {name: fingerprint(np.asarray(ids)[idx]) for name, idx in indices.items()}


@given(split_case())
@settings(max_examples=60, deadline=None)
def test_splits_are_disjoint_sized_and_stable(case: tuple[list[str], SplitSizes, int]) -> None:
    ids, sizes, seed = case
    splits = make_splits(ids, sizes, seed)
    chosen = [set(np.asarray(ids)[splits[n]]) for n in SPLIT_NAMES]
    assert [len(c) for c in chosen] == list(sizes.as_dict().values())
    assert sum(len(c) for c in chosen) == len(set().union(*chosen))
    reversed_ids = list(reversed(ids))
    again = make_splits(reversed_ids, sizes, seed)
    assert chosen == [set(np.asarray(reversed_ids)[again[n]]) for n in SPLIT_NAMES]
    assert _fingerprints(ids, splits) == _fingerprints(reversed_ids, again)


@given(split_case())
@settings(max_examples=30, deadline=None)
def test_official_partitions_hold_out_the_test_partition(
    case: tuple[list[str], SplitSizes, int],
) -> None:
    ids, sizes, seed = case
    partition = np.array(["test" if k % 2 else "train" for k in range(len(ids))])
    try:
        splits = make_splits(ids, sizes, seed, partition)
    except DataError:
        return  # not enough images in a partition: covered below
    assert (partition[splits["attack_test"]] == "test").all()
    assert (partition[splits["defense_train"]] == "train").all()
    assert (partition[splits["attack_train"]] == "train").all()


def test_different_seeds_draw_different_splits() -> None:
    ids = [f"{k:04d}" for k in range(200)]
    sizes = SplitSizes(50, 50, 50)
    assert _fingerprints(ids, make_splits(ids, sizes, 0)) != _fingerprints(
        ids, make_splits(ids, sizes, 1)
    )


def test_too_few_images_is_a_clear_error() -> None:
    sizes = SplitSizes(5, 5, 5)
    with pytest.raises(DataError, match=r"need 15 images .* has 10"):
        make_splits([str(k) for k in range(10)], sizes, 0)


def test_draw_splits_gives_benchmarks_the_faces_prepare_attacks() -> None:
    spec = suites.load("fairface_input")
    budget = spec.budget("smoke")
    dataset = open_dataset("fairface")
    drawn = draw_splits(dataset, spec.data.labels, budget.splits, 3, budget.image_size)
    prepared = prepare(adapters.module(torch.nn.Conv2d(3, 4, 3)), spec, scale="smoke", seed=3)
    for mine, theirs in (
        (drawn.attack_train, prepared.attack_train),
        (drawn.attack_test, prepared.attack_test),
    ):
        assert (mine.ids == theirs.ids).all() and mine.fingerprint == theirs.fingerprint
        assert torch.equal(mine.images, theirs.images)
    assert set(drawn.sizes()) == set(SPLIT_NAMES)
