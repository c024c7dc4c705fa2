"""Training to convergence: with ``patience`` a supervised attack holds out a fifth of
attack_train, stops once its score there stalls and keeps its best epoch's weights; the epochs
it ran are in its parameters (and so in the report)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from privattack.attacks import get
from privattack.attacks.base import AttackBudget
from privattack.prepare import prepare
from privattack.run import RunContext
from privattack.training import EarlyStopping, train_supervised


def test_stops_after_patience_stale_epochs_and_restores_the_best_weights() -> None:
    """Scores 0.1, 0.3, 0.2, 0.25: with patience 2 training ends after epoch 4 of 10 with the
    weights it had after epoch 2."""
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    x = torch.randn(64, 4)
    y = x.sum(1, keepdim=True)
    scores = iter([0.1, 0.3, 0.2, 0.25, 0.9])
    seen: dict[int, dict[str, torch.Tensor]] = {}

    def keep(epoch: int) -> None:
        seen[epoch] = {k: v.clone() for k, v in model.state_dict().items()}

    stopping = EarlyStopping(x[:8], y[:8], lambda out, target: next(scores), patience=2)
    train_supervised(
        model, x, y, nn.functional.mse_loss, epochs=10, batch_size=16, lr=0.1,
        on_epoch=keep, early_stopping=stopping,
    )  # fmt: skip
    assert (stopping.epochs_run, stopping.best_epoch, stopping.best) == (4, 2, 0.3)
    assert sorted(seen) == [1, 2, 3, 4]
    for name, value in model.state_dict().items():
        assert torch.equal(value, seen[2][name])
        assert not torch.equal(value, seen[4][name])


def test_a_score_that_is_never_a_number_keeps_the_last_weights() -> None:
    model = nn.Linear(2, 1)
    stopping = EarlyStopping(torch.ones(2, 2), torch.ones(2, 1), lambda o, t: float("nan"), 1)
    train_supervised(
        model, torch.randn(8, 2), torch.randn(8, 1), nn.functional.mse_loss, epochs=5,
        batch_size=4, lr=0.1, early_stopping=stopping,
    )  # fmt: skip
    assert (stopping.epochs_run, stopping.best_epoch) == (1, 0)


@pytest.fixture(scope="module")
def faces() -> tuple:
    """The undefended split's activations of the bundled faces (smoke scale) and its context."""
    context = RunContext(0, "cpu", False)
    prepared = prepare("split", "fairface_input", scale="smoke", progress=False, context=context)
    return prepared, context


def test_the_decoder_trained_to_convergence_on_real_faces_reports_its_epochs(
    faces: tuple,
) -> None:
    """A scale's patience is every supervised attack's default (its epochs the cap);
    ``patience=0`` trains every epoch."""
    prepared, context = faces
    inputs = prepared.attack_inputs("decoder", context)
    inputs = dataclasses.replace(inputs, budget=AttackBudget(epochs=40, patience=1))
    fixed = get("decoder", epochs=3, patience=0).run(inputs)
    assert fixed.params["epochs_run"] == 3 and "best_epoch" not in fixed.params
    patient = get("decoder", lr=0.01).run(inputs)
    ran, best = patient.params["epochs_run"], patient.params["best_epoch"]
    assert 1 <= best < ran < 40 and ran - best == 1  # stopped one stale epoch after its best
    assert patient.images.shape == fixed.images.shape


def test_the_report_says_how_many_epochs_each_attack_trained(smoke_run: tuple) -> None:
    report = smoke_run[0]
    assert report.leakage["decoder"].params["epochs_run"] == 15  # the smoke scale's
