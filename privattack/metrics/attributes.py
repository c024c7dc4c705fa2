"""Attributes through the reconstruction: what a reconstruction still tells about the person.

The attacker fits a reader on its own attack_train originals: a linear probe per categorical
label of the data set (CelebA's 40 attributes; FairFace's race, gender and age group) on the
independent face model's embeddings, which the identity metrics compute anyway. An attribute
counts when the reader beats chance (attack_train's majority class) on attack_test's originals
beyond its bootstrap interval; a reconstruction keeps the share of that advantage the reader
still has on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from privattack.metrics.estimate import bootstrap
from privattack.metrics.functional import chance
from privattack.metrics.identity import face_embeddings

MAX_CLASSES = 16  # labels with more values (an age in years) are not categorical attributes
SURVIVES = 0.5  # an attribute survives when the reconstructions keep half its advantage
DECAYS = (1e-3, 1e-2, 1e-1, 1.0)  # the probes' L2 penalties, one chosen per label
FOLDS = 3  # by cross-validation on attack_train: the attacker's own data
PROBE_STEPS = 200


def categorical(labels: Mapping[str, Tensor]) -> dict[str, int]:
    """The labels the reader predicts, with their number of classes: those every image
    carries (no -1) with 2 to ``MAX_CLASSES`` values."""
    sizes = {name: int(y.max()) + 1 for name, y in labels.items() if len(y) and y.min() >= 0}
    return {name: n for name, n in sizes.items() if 2 <= n <= MAX_CLASSES}


@dataclass(frozen=True)
class Probe:
    """A multinomial logistic regression on standardised embeddings."""

    mean: Tensor
    scale: Tensor
    weight: Tensor  # (D, classes)
    bias: Tensor  # (classes,)

    @classmethod
    def chosen(cls, features: Tensor, labels: Tensor, classes: int, seed: int) -> Probe:
        """The probe with the penalty among ``DECAYS`` that predicts best in ``FOLDS``-fold
        cross-validation on ``features`` (ties: the stronger penalty), refitted on them all."""
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
        folds = order.chunk(FOLDS)

        def validated(decay: float) -> float:
            right = 0.0
            for k, held in enumerate(folds):
                rest = torch.cat([f for j, f in enumerate(folds) if j != k])
                probe = cls.fit(features[rest], labels[rest], classes, decay)
                right += float((probe.predict(features[held]) == labels[held]).sum())
            return right

        best = max(reversed(DECAYS), key=validated)
        return cls.fit(features, labels, classes, best)

    @classmethod
    def fit(cls, features: Tensor, labels: Tensor, classes: int, decay: float) -> Probe:
        """The maximum-likelihood probe with L2 penalty ``decay`` (L-BFGS, deterministic)."""
        features = features.double()
        mean, scale = features.mean(0), features.std(0).clamp_min(1e-8)
        x = (features - mean) / scale
        weight = torch.zeros(x.shape[1], classes, dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
        optimiser = torch.optim.LBFGS(
            [weight, bias], max_iter=PROBE_STEPS, line_search_fn="strong_wolfe"
        )

        def closure() -> Tensor:
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(x @ weight + bias, labels)
            loss = loss + decay * weight.square().sum()
            loss.backward()
            return loss

        optimiser.step(closure)
        return cls(mean, scale, weight.detach(), bias.detach())

    def predict(self, features: Tensor) -> Tensor:
        """(N,) the most likely class of each embedding."""
        return (((features.double() - self.mean) / self.scale) @ self.weight + self.bias).argmax(1)


@dataclass(frozen=True)
class Reading:
    """The reader and what it reads from attack_test's originals.

    ``names``: the attributes it reads better than chance, each with its ``probes`` entry;
    ``labels`` (N, A) their values on attack_test; ``chance`` and ``originals`` (A,) the
    majority class's accuracy and the reader's on the originals.
    """

    probes: Mapping[str, Probe]
    names: tuple[str, ...]
    labels: Tensor
    chance: Tensor
    originals: Tensor

    def correct(self, images: Tensor) -> Tensor:
        """(B, A) 1.0 where the reader gets attribute ``a`` of test image ``i`` right from
        ``images[i]`` (the first B test images)."""
        return (self._guesses(images) == self.labels[: len(images)]).float()

    def correct_if_always(self, image: Tensor, n: int) -> Tensor:
        """(n, A) what ``correct`` gives when each of the first ``n`` test images is replaced by
        ``image`` (1, 3, H, W): the face model reads it once, not n times."""
        return (self._guesses(image).expand(n, -1) == self.labels[:n]).float()

    def _guesses(self, images: Tensor) -> Tensor:
        """(B, A) the reader's class for each attribute of each image."""
        if not self.names:
            return torch.zeros(len(images), 0, dtype=torch.long)
        features = face_embeddings(images)
        return torch.stack([self.probes[n].predict(features) for n in self.names], dim=1)

    def kept(self, correct: Tensor) -> Tensor:
        """(B,) per image: the reader's advantage over chance on it, as a share of its
        advantage on the originals, averaged over the attributes (0 when it reads none)."""
        if not self.names:
            return torch.zeros(len(correct))
        return ((correct - self.chance) / (self.originals - self.chance)).mean(1)

    def survivors(self, correct: Tensor | np.ndarray) -> float:
        """How many attributes the reader still reads from ``correct``'s images (rows as
        ``correct`` returns them) with at least ``SURVIVES`` of its advantage on the originals."""
        accuracy = torch.as_tensor(correct).double().mean(0)
        share = (accuracy - self.chance) / (self.originals - self.chance)
        return float((share >= SURVIVES).sum())


def fit_reading(
    train_images: Tensor,
    train_labels: Mapping[str, Tensor],
    test_images: Tensor,
    test_labels: Mapping[str, Tensor],
    seed: int,
) -> Reading:
    """Fit a probe per categorical label on attack_train's originals' embeddings and keep the
    attributes it reads from attack_test's originals beyond chance (its bootstrap interval
    above the majority class's accuracy)."""
    classes = categorical(train_labels)
    train_features = face_embeddings(train_images, store=True)
    probes = {n: Probe.chosen(train_features, train_labels[n], k, seed) for n, k in classes.items()}
    test_features = face_embeddings(test_images, store=True)
    readable, originals = [], []
    for name, probe in probes.items():
        correct = (probe.predict(test_features) == test_labels[name]).float()
        if bootstrap(correct, seed).ci[0] > chance(train_labels[name], test_labels[name]):
            readable.append(name)
            originals.append(float(correct.mean()))
    return Reading(
        probes,
        tuple(readable),
        torch.stack([test_labels[n] for n in readable], dim=1)
        if readable
        else torch.zeros(len(test_images), 0, dtype=torch.long),
        torch.tensor([chance(train_labels[n], test_labels[n]) for n in readable]),
        torch.tensor(originals),
    )


def attribute_table(reading: Reading, images: Tensor) -> dict[str, dict[str, float]]:
    """Per attribute the reader reads: its accuracy on ``images`` (reconstructions of the
    first test images), on the originals, and chance; the report keeps it beside the metrics."""
    accuracy = reading.correct(images).mean(0)
    return {
        name: {
            "reconstructions": round(float(accuracy[k]), 4),
            "originals": round(float(reading.originals[k]), 4),
            "chance": round(float(reading.chance[k]), 4),
        }
        for k, name in enumerate(reading.names)
    }
