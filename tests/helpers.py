"""What several test modules share: small defenses (an encoder that releases noise, broken
ones), a nearest-neighbour attack to register, a whole suite file, and the numbers of a report
that must match between two runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from privattack.attacks import AttackBudget, AttackInputs, Reconstructions
from privattack.attacks.configured import Configured
from privattack.protocol import check_images
from privattack.registry import attacks
from privattack.report import Report
from privattack.searchspace import SearchParam
from privattack.targets import InputTarget

SUITE_TEXT = """version = 1
description = "FairFace faces at 64 px."

[data]
dataset = "fairface"
image_size = 64
task = "gender"
sensitive = "input"

[attacks.decoder]

[attacks.likelihood]

[gates]
max_ssim = 0.5

[scales.smoke]
splits = { defense_train = 64, attack_train = 128, attack_test = 64 }

[scales.quick]
splits = { defense_train = 272, attack_train = 200, attack_test = 100 }
trials = 10

[scales.paper]
splits = { defense_train = 60000, attack_train = 20000, attack_test = 10000 }
official_splits = true
"""
"""A whole suite file (no includes): the FairFace faces, two attacks, a gate, three scales."""


def numbers(report: Report) -> dict[str, Any]:
    """Everything a report measured: its JSON without timings (the manifest) and without how
    the defense came to be fitted (in this run, or restored from the fit cache)."""
    data = report.to_dict()
    data.pop("manifest")
    data["defense"].pop("fit")
    return data


class _Noise(nn.Module):
    """Outputs fresh Gaussian noise shaped like the split's layer1 activation, whatever x is;
    differentiable (with zero gradient), so white-box attacks run against it too."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.randn(len(x), 64, 16, 16, device=x.device) + 0 * x.sum()


class Affine(nn.Module):
    """z * scale + offset: what a defense that rescales its release appends to its client."""

    def __init__(self, scale: float, offset: float) -> None:
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, z: Tensor) -> Tensor:
        return z * self.scale + self.offset


def small_client_inputs(scale: float = 1.0, offset: float = 0.0) -> AttackInputs:
    """A small convolutional client on smooth random images, releasing ``z * scale + offset``:
    for properties of the white-box searches (their canaries use real faces)."""
    torch.manual_seed(0)
    conv = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 8, 3, 1, 1))
    client = nn.Sequential(conv, Affine(scale, offset))
    images = torch.nn.functional.interpolate(torch.rand(48, 3, 4, 4), size=16, mode="bilinear")
    with torch.no_grad():
        z = client(images)
    return AttackInputs(
        z_train=z[:40],
        z_test=z[40:],
        secret_train=images[:40],
        target=InputTarget(16),
        seed=0,
        budget=AttackBudget(epochs=2, iterations=12, invert_images=6),
        client=client,
    )


class NoiseEncoder:
    """A defense that releases noise: it carries no information about the image."""

    stochastic = True

    def __init__(self) -> None:
        self.client = _Noise()

    def release(self, x: Tensor) -> Tensor:
        return self.client(check_images(x))


class DropsOneImage:
    """Breaks the protocol: returns one activation fewer than it was given images."""

    def release(self, x: Tensor) -> Tensor:
        return x[1:].mean(1)


class ReleasesNaN:
    def release(self, x: Tensor) -> Tensor:
        return torch.full((len(x), 8), float("nan"))


class SecretlyRandom:
    """Samples noise but does not declare ``stochastic = True``."""

    def release(self, x: Tensor) -> Tensor:
        return x.mean(1, keepdim=True) + torch.rand_like(x.mean(1, keepdim=True))


class BadPredict:
    def release(self, x: Tensor) -> Tensor:
        return x.mean(1, keepdim=True)

    def predict(self, z: Tensor) -> Tensor:
        return z.flatten(1)[:, 0]  # (B,) instead of logits (B, K)


def register_nearest(attack: str, calls: list[AttackInputs], dies: dict[str, bool]) -> None:
    """Register ``attack``: k-nearest neighbours in z (k tuned in 1..8), recording every
    ``AttackInputs`` it receives in ``calls``; it raises once when ``dies["now"]`` is set (a
    worker that dies mid-trial). ``attacks.unregister(attack)`` removes it."""

    @attacks.register(attack)
    class Nearest(Configured):
        name: ClassVar[str] = attack
        target: ClassVar[str] = "input"
        requires: ClassVar[tuple[str, ...]] = ()
        search_space: ClassVar[dict[str, SearchParam]] = {"k": SearchParam(1, 8)}

        @dataclass(frozen=True)
        class Config:
            k: int = 1

        def run(self, data: AttackInputs) -> Reconstructions:
            if dies.get("now"):
                dies["now"] = False
                raise RuntimeError("the worker died")
            calls.append(data)
            distance = torch.cdist(data.z_test.flatten(1), data.z_train.flatten(1))
            idx = distance.topk(self.config.k, largest=False).indices
            return Reconstructions(data.secret_train[idx].mean(1), self.params())
