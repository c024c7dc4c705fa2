"""Catalogue, defenses that break the protocol: what ``release``, ``predict`` and ``fit`` may
return or raise. Each is a privattack error naming the defense and what it did, found when the
defense is first called, before any attack trains."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor

import privattack
from privattack.errors import CapabilityError, DefenseError, NonFiniteError
from privattack.release import check_release

SUITE = Path(__file__).parents[1] / "suite_files" / "gate_smoke.toml"


class Releases:
    """A defense whose release, predict and fit do what the case says."""

    def __init__(
        self,
        release: Callable[[Tensor], Any],
        predict: Callable[[Tensor], Any] | None = None,
        fit: Callable[..., Any] | None = None,
        stochastic: Any = False,
    ) -> None:
        self._release, self.stochastic = release, stochastic
        if predict is not None:
            self.predict = predict
        if fit is not None:
            self.fit = fit

    def release(self, x: Tensor) -> Any:
        return self._release(x)


def _maps(x: Tensor) -> Tensor:
    return torch.nn.functional.avg_pool2d(x, 4)


def _raise(error: Exception) -> Callable[..., Any]:
    def fail(*_: Any) -> Any:
        raise error

    return fail


CASES = [
    (Releases(lambda x: _maps(x).to(torch.complex64)), DefenseError, "dtype torch.complex64"),
    (Releases(lambda x: (_maps(x) * 255).long()), DefenseError, "dtype torch.int64"),
    (Releases(lambda x: _maps(x) > 0.5), DefenseError, "dtype torch.bool"),
    (Releases(lambda x: torch.zeros(len(x), 0, 8, 8)), DefenseError, r"\(\d+, 0, 8, 8\): .*zero"),
    (Releases(lambda x: _maps(x)[:, :, None]), DefenseError, r"shape \(\d+, 3, 1, 8, 8\)"),
    (Releases(lambda x: x.mean(1)), DefenseError, r"shape \(\d+, 32, 32\) .* \(B, D\) vectors"),
    (Releases(lambda x: _maps(x).tolist()), DefenseError, r"release\(\) returned list"),
    (Releases(lambda x: _maps(x)[:1]), DefenseError, r"returned shape \(1, 3, 8, 8\) for \d+"),
    (Releases(lambda x: _maps(x) * float("inf")), NonFiniteError, "NaN or inf activations"),
    (Releases(_raise(RuntimeError("boom"))), DefenseError, r"raised RuntimeError: boom"),
    (Releases(_maps, stochastic="False"), DefenseError, r"stochastic must be .*'False'"),
    (Releases(lambda x: _maps(x) + torch.rand(1)), DefenseError, "not declare `stochastic = True`"),
    (Releases(_maps, predict=lambda z: torch.full((len(z), 2), float("nan"))), NonFiniteError,
     r"predict\(\) returned .* NaN"),
    (Releases(_maps, predict=lambda z: torch.zeros(len(z), 5)), CapabilityError,
     r"logits \(B, K\) = \(\d+, 2\) .* 2-class task; got \(\d+, 5\)"),
    (Releases(_maps, predict=lambda z: [0] * len(z)), CapabilityError, "got list"),
    (Releases(_maps, predict=_raise(KeyError("head"))), DefenseError, r"predict\(\) raised KeyE"),
    (Releases(_maps, fit=_raise(ValueError("no data"))), DefenseError,
     r"fit\(\) raised ValueError: no data"),
]  # fmt: skip


@pytest.mark.parametrize(("defense", "error", "pattern"), CASES)
def test_a_defense_that_breaks_the_protocol_is_named(
    defense: Releases, error: type, pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        privattack.evaluate(defense, SUITE, scale="smoke", progress=False, cache=False)


FLOATS = {torch.float16, torch.bfloat16, torch.float32, torch.float64}


@given(dtype=st.sampled_from([getattr(torch, n) for n in (
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128", "int8", "uint8",
    "int16", "int32", "int64", "bool",
)]))  # fmt: skip
@settings(max_examples=30, deadline=None)
def test_release_dtypes(dtype: torch.dtype) -> None:
    """Real floating point is cast to float32 (with a warning unless it already is); complex,
    integer and bool activations are refused."""
    z = torch.ones(3, 4, 2, 2).to(dtype)
    if dtype == torch.float32:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert check_release(z, 3, "d") is z
    elif dtype in FLOATS:
        with pytest.warns(UserWarning, match="casts it to float32"):
            assert check_release(z, 3, "d").dtype == torch.float32
    else:
        with pytest.raises(DefenseError, match=str(dtype)):
            check_release(z, 3, "d")


@given(shape=st.lists(st.integers(0, 3), min_size=0, max_size=5))
@settings(max_examples=60, deadline=None)
def test_release_shapes(shape: list[int]) -> None:
    """(B, D) and (B, C, h, w) of nonzero sizes pass; any other shape is refused."""
    z = torch.ones(2, *shape)
    ok = len(shape) in (1, 3) and 0 not in shape
    if ok:
        assert check_release(z, 2, "d").shape == z.shape
    else:
        with pytest.raises(DefenseError, match=r"shape \(2"):
            check_release(z, 2, "d")
