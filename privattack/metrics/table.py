"""The one table of reported metrics: how each is estimated, which way means more leakage, what
an attacker who ignores ``z`` scores (the null baseline), and its name in the threshold
vocabulary. Scoring, thresholds, ``diff``, the renderers and the worst case all read it and never
branch on metric names.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from privattack import faces
from privattack.errors import UnknownNameError
from privattack.faces import SAME_PERSON
from privattack.metrics.attributes import SURVIVES, Reading
from privattack.metrics.estimate import Estimate, bootstrap, point
from privattack.metrics.functional import balanced_accuracy, chance, correct, l1, psnr, ssim
from privattack.metrics.identity import Matches, face_embeddings, face_matches, pixel_matches

Kind = Literal["input", "attribute", "utility"]
# what a metric says of the secret: how alike the pixels are, or whether the person (or the
# image) is picked out among others; the worst case is reported per aspect
Aspect = Literal["pixels", "identity", "attribute", "utility"]


@dataclass(frozen=True)
class Truth:
    """What an attack's outputs are scored against: attack_test's secrets (the outputs match
    its first ones: a white-box attack inverts a prefix), attack_train's (the attacker's own)
    and, for image targets, the attacker's attribute reader."""

    test: Tensor
    train: Tensor
    reading: Reading | None = None

    def prefix(self, n: int) -> Truth:
        """The same truth for the first ``n`` test images."""
        return Truth(self.test[:n], self.train, self.reading)

    def read(self) -> Reading:
        """The attribute reader, which image targets' attribute metrics need."""
        if self.reading is None:
            raise ValueError("attribute metrics need the attacker's attribute reader.")
        return self.reading


@dataclass(frozen=True)
class Samples:
    """What a metric's estimate resamples: per-sample ``values``, the ``statistic`` over them
    (None: their mean) and an ``offset`` taken from it (accuracy over chance)."""

    values: Tensor | np.ndarray
    statistic: Callable[[np.ndarray], float] | None = None
    offset: float = 0.0

    def point(self) -> float:
        """The statistic, without an interval."""
        return point(self.values, self.statistic) - self.offset


# (the attack's outputs on attack_test, what they are scored against) -> what is resampled
Sampler = Callable[[Tensor, Truth], Samples]
# what an attacker who ignores z scores, against the same truth
NullBaseline = Callable[[Truth], float]


@dataclass(frozen=True)
class Metric:
    """One reported metric.

    ``higher_is_worse``: a higher value means more leakage (for utility: never, higher is more
    useful). ``threshold``: the bound on it in ``privattack.toml`` and a suite's ``[gates]``,
    ``max_`` when higher is worse, else ``min_``.
    """

    name: str
    kind: Kind
    higher_is_worse: bool
    threshold: str
    description: str
    samples: Sampler
    null: NullBaseline | None = None
    primary: bool = False  # the metric the worst case of its aspect is chosen by
    null_name: str = ""  # what the null baseline is, in words
    constant: Callable[[Tensor], Tensor] | None = None  # outputs with z's influence removed
    aspect: Aspect = "pixels"
    faces: bool = False  # needs the face model, and a data set of faces
    # identity metrics: how reconstructions are matched to their sources among the originals
    matches: Callable[[Tensor, Tensor], Matches] | None = None
    reads_attributes: bool = False  # needs the attacker's attribute reader (Truth.reading)

    def estimate(self, outputs: Tensor | Sequence[Tensor], truth: Truth, seed: int) -> Estimate:
        """The metric of an attack's ``outputs`` against ``truth``, with its bootstrap interval
        (seeded by ``seed``); a list of outputs, one per repeat of the attack, gives their
        average, with an interval over the repeats as well as the samples."""
        runs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
        drawn = [self.samples(run, truth) for run in runs]
        first = drawn[0]
        return bootstrap([d.values for d in drawn], seed, first.statistic).shifted(first.offset)

    def failure(self, estimate: Estimate, baselines: Mapping[str, float | None]) -> str | None:
        """Why an attack scoring ``estimate`` did not learn (None when it did): its score is
        NaN, or its interval reaches one of ``baselines`` (what scores an attacker who ignores
        z, by name), or lies on the private side of it."""
        low, high = estimate.ci
        if not all(math.isfinite(v) for v in (estimate.mean, low, high)):
            return f"diverged: its {self.name} is not a number"
        for name, null in baselines.items():
            if null is None:
                continue
            if low <= null if self.higher_is_worse else high >= null:
                return (
                    f"no better than {name}: {self.name} {estimate.mean:.3f} "
                    f"[{low:.3f}, {high:.3f}] against {null:.3f}"
                )
        return None

    def worse(self, a: float, b: float) -> bool:
        """Whether ``b`` is worse than ``a``: more leakage, or less utility."""
        return b > a if self.higher_is_worse else b < a


def _per_image(fn: Callable[[Tensor, Tensor], Tensor]) -> Sampler:
    def samples(x_hat: Tensor, truth: Truth) -> Samples:
        return Samples(fn(x_hat, truth.test[: len(x_hat)]))

    return samples


def _mean_training_image(truth: Truth) -> Tensor:
    """attack_train's mean image, once per test image: what ignoring z reconstructs."""
    return truth.train.mean(0, keepdim=True).expand_as(truth.test)


def _mean_image(fn: Callable[[Tensor, Tensor], Tensor]) -> NullBaseline:
    def null(truth: Truth) -> float:
        return fn(_mean_training_image(truth), truth.test).mean().item()

    return null


def _average_output(images: Tensor) -> Tensor:
    """Every reconstruction replaced by their average: what the attack outputs whatever z is."""
    return images.mean(0, keepdim=True).expand_as(images)


def _modal_output(logits: Tensor) -> Tensor:
    """Every prediction replaced by the class the attack predicts most often."""
    modal = torch.bincount(logits.argmax(1), minlength=logits.shape[1]).argmax()
    return torch.nn.functional.one_hot(modal, logits.shape[1]).float().expand_as(logits)


def _identified(match: Callable[[Tensor, Tensor], Matches], k: int) -> Sampler:
    def samples(x_hat: Tensor, truth: Truth) -> Samples:
        return Samples(match(x_hat, truth.test).within(k))

    return samples


def _chance_of(k: int) -> NullBaseline:
    def null(truth: Truth) -> float:
        return min(k, len(truth.test)) / len(truth.test)

    return null


def _same_person(x_hat: Tensor, truth: Truth) -> Samples:
    return Samples((face_matches(x_hat, truth.test).distances < SAME_PERSON).float())


def _mean_face_is_same_person(truth: Truth) -> float:
    mean = face_embeddings(truth.train.mean(0, keepdim=True))
    gallery = face_embeddings(truth.test, store=True)
    return (torch.cdist(mean, gallery)[0] < SAME_PERSON).float().mean().item()


def _identity(
    name: str,
    samples: Sampler,
    null: NullBaseline,
    null_name: str,
    text: str,
    matches: Callable[[Tensor, Tensor], Matches],
    primary: bool = False,
) -> Metric:
    return Metric(
        name, "input", True, f"max_{name}", text, samples, null, primary,
        null_name=null_name, aspect="identity", faces=matches is face_matches, matches=matches,
    )  # fmt: skip


def _top_k(
    name: str,
    matches: Callable[[Tensor, Tensor], Matches],
    k: int,
    text: str,
    primary: bool = False,
) -> Metric:
    """Sources among their reconstruction's ``k`` nearest originals; chance, k / N, its null."""
    return _identity(
        name, _identified(matches, k), _chance_of(k), f"chance, {k} / gallery size", text,
        matches, primary,
    )  # fmt: skip


def _accuracy(logits: Tensor, truth: Truth) -> Samples:
    return Samples(correct(logits.argmax(1), truth.test))


def _balanced_accuracy(logits: Tensor, truth: Truth) -> Samples:
    rows = torch.stack([logits.argmax(1), truth.test], dim=1).numpy()
    return Samples(
        rows, lambda r: balanced_accuracy(torch.from_numpy(r[:, 0]), torch.from_numpy(r[:, 1]))
    )


def _advantage(logits: Tensor, truth: Truth) -> Samples:
    return dataclasses.replace(_accuracy(logits, truth), offset=_majority(truth))


def _majority(truth: Truth) -> float:
    return chance(truth.train, truth.test)


# (what the reader gets right per image and attribute, the reader) -> what is resampled
CorrectSampler = Callable[[Tensor, Reading], Samples]


def _kept(correct: Tensor, reading: Reading) -> Samples:
    return Samples(reading.kept(correct))


def _survivors(correct: Tensor, reading: Reading) -> Samples:
    return Samples(correct.numpy(), reading.survivors)


def _read(statistic: CorrectSampler) -> Sampler:
    def samples(x_hat: Tensor, truth: Truth) -> Samples:
        reading = truth.read()
        return statistic(reading.correct(x_hat), reading)

    return samples


def _mean_image_read(statistic: CorrectSampler) -> NullBaseline:
    def null(truth: Truth) -> float:
        reading = truth.read()
        mean = truth.train.mean(0, keepdim=True)
        return statistic(reading.correct_if_always(mean, len(truth.test)), reading).point()

    return null


def _attributes(name: str, statistic: CorrectSampler, text: str) -> Metric:
    return Metric(
        name, "input", True, f"max_{name}", text, _read(statistic), _mean_image_read(statistic),
        null_name="the mean training image", aspect="attribute", faces=True,
        reads_attributes=True,
    )  # fmt: skip


def _image(
    name: str,
    fn: Callable[[Tensor, Tensor], Tensor],
    higher: bool,
    text: str,
    primary: bool = False,
) -> Metric:
    bound = "max" if higher else "min"
    return Metric(
        name,
        "input",
        higher,
        f"{bound}_{name}",
        text,
        _per_image(fn),
        _mean_image(fn),
        primary,
        "the mean training image",
        _average_output,
    )


METRICS: tuple[Metric, ...] = (
    _image("ssim", ssim, True, "structural similarity to the private image (piq, 11x11)", True),
    _image("psnr", psnr, True, "peak signal-to-noise ratio in dB (peak 1)"),
    _image("l1", l1, False, "mean absolute pixel error"),
    _top_k(
        "reid_top1",
        face_matches,
        1,
        "reconstructions whose nearest face among attack_test's originals is their source "
        "(dlib's face model)",
        primary=True,
    ),
    _top_k(
        "reid_top5",
        face_matches,
        5,
        "reconstructions whose source is among their 5 nearest faces (dlib's face model)",
    ),
    _identity(
        "same_person",
        _same_person,
        _mean_face_is_same_person,
        "the mean training image",
        f"reconstructions the face model takes for their source's person (distance < "
        f"{SAME_PERSON})",
        face_matches,
    ),
    _top_k(
        "iip_top1",
        pixel_matches,
        1,
        "reconstructions whose nearest image (pixel distance) among attack_test's originals "
        "is their source",
        primary=True,
    ),
    _attributes(
        "attributes_kept",
        _kept,
        "the attribute reader's advantage over chance on the reconstructions, as a share of "
        "its advantage on the originals, averaged over the attributes it reads (linear probes "
        "on the face model's embeddings, fitted on attack_train)",
    ),
    _attributes(
        "attributes_read",
        _survivors,
        f"attributes the reader still reads from the reconstructions with at least {SURVIVES:.0%} "
        "of its advantage on the originals",
    ),
    Metric(
        "accuracy",
        "attribute",
        True,
        "max_attribute_accuracy",
        "accuracy of the attacker's guess of the sensitive attribute",
        _accuracy,
        _majority,
        primary=True,
        null_name="always guessing the majority class",
        constant=_modal_output,
        aspect="attribute",
    ),
    Metric(
        "balanced_accuracy",
        "attribute",
        True,
        "max_balanced_accuracy",
        "mean per-class recall of the attacker's guess",
        _balanced_accuracy,
        aspect="attribute",
    ),
    Metric(
        "advantage",
        "attribute",
        True,
        "max_advantage",
        "accuracy over always guessing the majority class",
        _advantage,
        aspect="attribute",
    ),
)
UTILITY = Metric(
    "utility",
    "utility",
    False,
    "min_utility",
    "task accuracy on attack_test",
    _accuracy,
    _majority,
    null_name="always guessing the majority task class",
    aspect="utility",
)


def metrics_of(kind: Kind) -> tuple[Metric, ...]:
    """The leakage metrics reported for a target of ``kind``, in report order."""
    return tuple(m for m in METRICS if m.kind == kind)


def measured(kind: Kind, of_faces: bool) -> tuple[tuple[Metric, ...], dict[str, str]]:
    """The metrics a run measures for a target of ``kind`` (the face model's only on data sets
    of faces), and those it cannot measure here, with the reason (the face model missing, or
    the attribute reader turned off)."""
    model = faces.missing() if of_faces else None
    reader = model or (faces.reader_off() if of_faces else None)
    skipped: dict[str, str] = {}
    chosen = []
    for m in metrics_of(kind):
        why = (reader if m.reads_attributes else model) if m.faces else None
        if m.faces and not of_faces:
            continue
        if why:
            skipped[m.name] = why
        else:
            chosen.append(m)
    return tuple(chosen), skipped


def metric(name: str) -> Metric:
    """The leakage metric called ``name`` (``UTILITY`` is named "utility")."""
    for known in (*METRICS, UTILITY):
        if known.name == name:
            return known
    raise UnknownNameError("metric", name, [m.name for m in (*METRICS, UTILITY)])


def primary(kind: Kind) -> Metric:
    """The metric the worst case of a ``kind`` target is chosen by (SSIM, attribute accuracy)."""
    return next(m for m in metrics_of(kind) if m.primary and m.aspect != "identity")


def identity_leads(chosen: tuple[Metric, ...]) -> Metric | None:
    """Among ``chosen``, the metric the identity worst case is chosen by: re-identification by
    the face model where it ran, else image identifiability (None for attribute targets)."""
    return next((m for m in chosen if m.aspect == "identity" and m.primary), None)
