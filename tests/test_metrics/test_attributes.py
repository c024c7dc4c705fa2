"""Attributes through the reconstruction: the reader's arithmetic (hypothesis), its probes, and
the real face model reading real faces' gender, race and age through blur but not from noise."""

from __future__ import annotations

import pytest
import torch
from conftest import shared_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.transforms.functional import gaussian_blur

from privattack.data import open_dataset
from privattack.metrics.attributes import Probe, Reading, categorical, fit_reading


def _reading(correct: torch.Tensor, chance: torch.Tensor) -> Reading:
    """A reading whose reader got ``correct`` right on the originals (no probes needed)."""
    names = tuple(f"a{k}" for k in range(correct.shape[1]))
    labels = torch.zeros(correct.shape, dtype=torch.long)
    return Reading({}, names, labels, chance, correct.mean(0))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(8, 60),
    st.integers(1, 6),
    st.floats(0.05, 0.5),
    st.integers(0, 2**31 - 1),
)
def test_the_originals_keep_every_attribute_and_chance_keeps_none(
    n: int, attributes: int, margin: float, seed: int
) -> None:
    generator = torch.Generator().manual_seed(seed)
    correct = (torch.rand(n, attributes, generator=generator) < 0.8).float()
    correct[0] = 1.0  # every attribute read right at least once
    chance = correct.mean(0) - margin
    reading = _reading(correct, chance)
    assert reading.kept(correct).mean().item() == pytest.approx(1.0)
    assert reading.survivors(correct) == attributes
    assert reading.survivors(correct.numpy()) == attributes  # as the bootstrap hands it rows
    at_chance = correct.clone()
    at_chance[:] = chance  # an attacker right exactly as often as the majority class
    assert reading.kept(at_chance).abs().max().item() == pytest.approx(0.0, abs=1e-6)
    assert reading.survivors(at_chance) == 0


def test_nothing_read_keeps_nothing() -> None:
    reading = _reading(torch.zeros(5, 0), torch.zeros(0))
    assert torch.equal(reading.kept(torch.zeros(5, 0)), torch.zeros(5))
    assert reading.survivors(torch.zeros(5, 0)) == 0


def test_only_categorical_labels_every_image_carries_are_read() -> None:
    labels = {
        "gender": torch.tensor([0, 1, 1]),
        "age": torch.tensor([23, 70, 41]),  # years: not categorical
        "missing": torch.tensor([0, -1, 1]),  # one image lacks it
        "constant": torch.tensor([0, 0, 0]),
    }
    assert categorical(labels) == {"gender": 2}


def test_a_probe_separates_separable_features() -> None:
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (300,), generator=generator)
    centres = 3 * torch.randn(3, 16, generator=generator)
    features = centres[labels] + torch.randn(300, 16, generator=generator)
    probe = Probe.chosen(features[:200], labels[:200], 3, seed=0)
    assert (probe.predict(features[200:]) == labels[200:]).float().mean() > 0.95


SIX = ("Male", "Smiling", "Wearing_Lipstick", "Heavy_Makeup", "Eyeglasses", "Blond_Hair")


@pytest.fixture(scope="module")
def celeba() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The first 96 CelebA faces of ../shared/data at 64 px, and six of their attributes (each
    costs its probes' cross-validation)."""
    data = open_dataset("celeba", shared_dataset("celeba").parent)
    rows = list(range(96))
    labels = {n: torch.from_numpy(data.label(n)[rows]) for n in SIX}
    return data.images(rows, 64), labels


@pytest.mark.usefixtures("face_model")
def test_the_reader_reads_real_faces_through_blur_but_not_from_noise(
    celeba: tuple[torch.Tensor, dict[str, torch.Tensor]],
) -> None:
    """Fitted on 72 faces, the reader reads Male from 24 others beyond chance; a blurred copy
    keeps most of what it reads, noise nothing."""
    images, labels = celeba
    train = {n: y[24:] for n, y in labels.items()}
    test = {n: y[:24] for n, y in labels.items()}
    reading = fit_reading(images[24:], train, images[:24], test, seed=0)
    assert "Male" in reading.names
    originals = reading.correct(images[:24])
    assert reading.kept(originals).mean().item() == pytest.approx(1.0)
    assert reading.survivors(originals) == len(reading.names)
    blurred = reading.correct(gaussian_blur(images[:24], kernel_size=7, sigma=1.0))
    assert reading.kept(blurred).mean() > 0.5
    noise = torch.rand(images[:24].shape, generator=torch.Generator().manual_seed(0))
    assert reading.survivors(reading.correct(noise)) == 0
