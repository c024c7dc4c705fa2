"""Splits are disjoint, sized as asked, fixed by the seed, independent of file order, and
the same wherever they are drawn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from privattack import adapters
from privattack.data import SPLIT_NAMES, make_splits
from privattack.errors import DataError
from privattack.prepare import draw_splits, prepare, resolve_suite

ids_strategy = st.lists(st.text(min_size=1, max_size=8), min_size=6, max_size=80, unique=True)


@st.composite
def split_case(draw: st.DrawFn) -> tuple[list[str], dict[str, int], int]:
    ids = draw(ids_strategy)
    a = draw(st.integers(0, len(ids) - 4))
    b = draw(st.integers(2, len(ids) - a - 2))
    c = draw(st.integers(2, len(ids) - a - b))
    return ids, dict(zip(SPLIT_NAMES, (a, b, c), strict=True)), draw(st.integers(0, 2**31))


@given(split_case())
@settings(max_examples=60, deadline=None)
def test_splits_are_disjoint_sized_and_stable(case: tuple[list[str], dict[str, int], int]) -> None:
    ids, sizes, seed = case
    splits = make_splits(ids, sizes, seed)
    chosen = [set(np.asarray(ids)[splits.indices[n]]) for n in SPLIT_NAMES]
    assert [len(c) for c in chosen] == [sizes[n] for n in SPLIT_NAMES]
    assert sum(len(c) for c in chosen) == len(set().union(*chosen))
    again = make_splits(list(reversed(ids)), sizes, seed)
    again_ids = [set(np.asarray(list(reversed(ids)))[again.indices[n]]) for n in SPLIT_NAMES]
    assert chosen == again_ids
    assert splits.fingerprints == again.fingerprints


@given(split_case())
@settings(max_examples=30, deadline=None)
def test_official_partitions_hold_out_the_test_partition(
    case: tuple[list[str], dict[str, int], int],
) -> None:
    ids, sizes, seed = case
    partition = np.array(["test" if k % 2 else "train" for k in range(len(ids))])
    try:
        splits = make_splits(ids, sizes, seed, partition)
    except DataError:
        return  # not enough images in a partition: covered below
    assert (partition[splits.indices["attack_test"]] == "test").all()
    assert (partition[splits.indices["defense_train"]] == "train").all()
    assert (partition[splits.indices["attack_train"]] == "train").all()


def test_different_seeds_draw_different_splits() -> None:
    ids = [f"{k:04d}" for k in range(200)]
    sizes = {"defense_train": 50, "attack_train": 50, "attack_test": 50}
    assert make_splits(ids, sizes, 0).fingerprints != make_splits(ids, sizes, 1).fingerprints


def test_too_few_images_is_a_clear_error() -> None:
    sizes = {"defense_train": 5, "attack_train": 5, "attack_test": 5}
    with pytest.raises(DataError, match=r"need 15 images .* has 10"):
        make_splits([str(k) for k in range(10)], sizes, 0)


def test_draw_splits_gives_benchmarks_the_faces_prepare_attacks() -> None:
    spec = resolve_suite("fairface_input")
    drawn = draw_splits(spec, spec.budget("smoke"), seed=3)
    prepared = prepare(adapters.module(torch.nn.Conv2d(3, 4, 3)), spec, scale="smoke", seed=3)
    for name in ("attack_train", "attack_test"):
        assert (drawn.dataset.ids[drawn.index[name]] == prepared.ids[name]).all()
        assert torch.equal(drawn.images[name], prepared.x[name])
    assert set(drawn.images) == set(SPLIT_NAMES)
