"""The baselines: the direction of each privacy gradient, and their effect on real faces."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import privattack
from privattack.defenses._adversary import ProxyAdversary
from privattack.defenses.maxentropy import prediction_entropy
from privattack.defenses.noise import GaussianNoise
from privattack.defenses.nopeek import distance_correlation
from privattack.defenses.shredder import LearnedLaplaceNoise, shredder_regulariser

SUITE = Path(__file__).parents[1] / "suite_files" / "baselines_fairface.toml"


def _task(sensitive: str) -> privattack.Task:
    return privattack.Task(32, "gender", 2, sensitive, None if sensitive == "input" else 3)


def _step_on_client(defense, task: privattack.Task, x, secret, adversary) -> None:
    """One SGD step of the client on the defense's privacy term alone."""
    client, _ = defense._networks()
    client.train()
    term = defense.privacy_term(task, x, client(x), secret, adversary)
    client.zero_grad()
    term.backward()
    with torch.no_grad():
        for p in client.parameters():
            if p.grad is not None:
                p -= 0.05 * p.grad


@pytest.mark.parametrize("sensitive", ["input", "race"])
def test_adversarial_client_raises_the_adversary_loss(sensitive: str) -> None:
    torch.manual_seed(0)
    defense = privattack.defenses.get("adversarial", lam=1.0, image_size=32, num_classes=2)
    task, x = _task(sensitive), torch.rand(16, 3, 32, 32)
    secret = x if sensitive == "input" else torch.randint(0, 3, (16,))
    adversary = ProxyAdversary(task, (64, 16, 16), lr=1e-3).eval()
    client, _ = defense._networks()

    def loss() -> float:
        client.train()  # batch statistics, as in the step
        with torch.no_grad():
            return adversary.loss(client(x), secret).item()

    before = loss()
    _step_on_client(defense, task, x, secret, adversary)
    assert loss() > before


def test_maxentropy_training_raises_the_adversary_entropy() -> None:
    torch.manual_seed(0)
    defense = privattack.defenses.get("maxentropy", lam=1.0, image_size=32, num_classes=2)
    task, x, secret = _task("race"), torch.rand(16, 3, 32, 32), torch.randint(0, 3, (16,))
    adversary = ProxyAdversary(task, (64, 16, 16), lr=1e-3).eval()
    client, _ = defense._networks()

    def entropy() -> float:
        client.train()  # batch statistics, as in the step
        with torch.no_grad():
            return prediction_entropy(adversary(client(x))).item()

    before = entropy()
    for _ in range(3):
        _step_on_client(defense, task, x, secret, adversary)
    assert entropy() > before


def test_maxentropy_refuses_input_suites() -> None:
    defense = privattack.defenses.get("maxentropy")
    train = privattack.LabelledImages(torch.rand(4, 3, 32, 32), {"gender": torch.zeros(4)})
    with pytest.raises(privattack.CapabilityError, match="needs an attribute suite"):
        defense.fit(_task("input"), train, privattack.TrainingBudget(1, 4, 0))


def test_nopeek_step_lowers_distance_correlation() -> None:
    torch.manual_seed(0)
    defense = privattack.defenses.get("nopeek", alpha=1.0, image_size=32, num_classes=2)
    task, x = _task("input"), torch.rand(16, 3, 32, 32)
    client, _ = defense._networks()

    def dcor() -> float:
        client.train()  # batch statistics, as in the step
        with torch.no_grad():
            return distance_correlation(x, client(x)).item()

    before = dcor()
    _step_on_client(defense, task, x, x, None)
    assert dcor() < before


def test_distance_correlation_bounds() -> None:
    x = torch.randn(32, 5)
    assert distance_correlation(x, x).item() == pytest.approx(1.0, abs=1e-5)
    assert distance_correlation(x, 3 * x + 1).item() == pytest.approx(1.0, abs=1e-5)
    assert distance_correlation(x, torch.randn(32, 5)).item() < 0.6


def test_relative_noise_cannot_be_defeated_by_scaling() -> None:
    torch.manual_seed(0)
    noise, z = GaussianNoise(sigma=0.5, relative=True), torch.randn(64, 8, 4, 4)
    snr = [((noise(s * z) - s * z).std() / (s * z).std()).item() for s in (1.0, 100.0)]
    assert snr[0] == pytest.approx(0.5, rel=0.1) and snr[1] == pytest.approx(snr[0], rel=0.1)
    paper = GaussianNoise(sigma=0.0, mean=-1.0, relative=False)
    assert torch.equal(paper(z), z - 1)


def test_shredder_regulariser_reaches_and_grows_the_noise() -> None:
    noise = LearnedLaplaceNoise((4, 2, 2))
    before = noise.log_scale.detach().clone()
    shredder_regulariser(noise).backward()
    assert noise.log_scale.grad is not None and (noise.log_scale.grad < 0).all()
    torch.optim.SGD(noise.parameters(), lr=1.0).step()
    assert (noise.log_scale > before).all()


@pytest.fixture(scope="module")
def undefended() -> privattack.Report:
    return privattack.evaluate("split", SUITE, scale="smoke", progress=False)


# Each baseline at the strongest setting of its knob's range, and the drop in decoder SSIM it
# must show: noise, pruning and Shredder remove most of the image; adversarial training and
# NoPeek lower leakage only a little against a freshly trained decoder at this budget (their
# intervals must still lie entirely below the undefended one's).
STRONGEST = [
    ("noise", {"sigma": 3.0}, 0.1),
    ("pruning", {"ratio": 0.95}, 0.1),
    ("shredder", {"lam": 10.0}, 0.1),
    ("adversarial", {"lam": 100.0}, 0.0),
    ("nopeek", {"alpha": 100.0}, 0.0),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "params", "drop"), STRONGEST)
def test_strongest_setting_lowers_leakage_on_real_faces(
    undefended: privattack.Report, name: str, params: dict, drop: float
) -> None:
    defended = privattack.evaluate(
        privattack.defenses.get(name, **params), SUITE, scale="smoke", progress=False
    )
    below = undefended.leakage["decoder"].ssim.ci[0] - drop
    assert defended.leakage["decoder"].ssim.ci[1] < below
