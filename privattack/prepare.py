"""The first half of the data flow: suite -> data -> splits -> fit -> released z.

``prepare`` builds a ``Prepared``: everything the utility measurement, the attacks, tuning or an
export need, computed once (and, for a defense fitted in the run, kept in the fit cache).
``evaluate`` attacks it; ``export`` writes it to disk; ``load_activations`` reads it back
without the defense's code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from privattack import cache as fit_cache
from privattack.attacks.base import AttackBudget, AttackInputs
from privattack.data import Split, draw_splits, open_dataset
from privattack.data.images import ImageSet
from privattack.errors import DataError
from privattack.metrics import Metric, Truth, measured
from privattack.metrics.attributes import Reading, fit_reading
from privattack.protocol import (
    Capabilities,
    Defense,
    LabelledImages,
    Task,
    TrainingBudget,
    capabilities,
)
from privattack.registry import attacks as attack_registry
from privattack.registry import defenses as defense_registry
from privattack.release import Released, call_defense, release, weights_digest
from privattack.run import RunContext
from privattack.suites import Budget, Suite
from privattack.suites import load as load_suite
from privattack.targets import AttributeTarget, InputTarget, Target

FITTED_NOW = "this run, on defense_train"
FITTED_FROM_CACHE = "on defense_train, restored from the cache"


@dataclass(frozen=True)
class Prepared:
    """The released activations of both attack splits, with what scoring them needs.

    ``caps`` says what the defense offers (for stored activations: what the benchmark holds);
    ``cache`` how the fit cache was used ("off", "stored", "hit" or why it was not used).
    """

    suite: Suite
    scale: str
    seed: int
    task: Task
    target: Target
    defense_info: dict[str, Any]
    caps: Capabilities
    data_info: dict[str, Any]  # dataset, source, layout, image_size, n, fingerprints
    attack_train: Split
    attack_test: Split
    released: Released
    seconds: dict[str, float] = field(default_factory=dict)
    cache: str = "off"
    _reading: list[Reading] = field(default_factory=list, repr=False, compare=False)

    @cached_property
    def measured_metrics(self) -> tuple[tuple[Metric, ...], dict[str, str]]:
        """The metrics this run measures for its target, and those it cannot here with the
        reason (the face model missing or off): decided once, so every attack, the nulls and
        the report agree."""
        return measured(self.target.kind, self.suite.data.faces)

    def truth(self, context: RunContext) -> Truth:
        """What attacks are scored against: both attack splits' secrets and, when attribute
        metrics are measured, the attacker's attribute reader, fitted on attack_train's
        originals the first time (the "attributes" phase)."""
        reads = any(m.reads_attributes for m in self.measured_metrics[0])
        if reads and not self._reading:
            with context.phase("attributes"):
                self._reading.append(
                    fit_reading(
                        self.attack_train.images,
                        self.attack_train.labels,
                        self.attack_test.images,
                        self.attack_test.labels,
                        context.seed_for("attributes"),
                    )
                )
        target = self.target
        return Truth(
            target.secret(self.attack_test),
            target.secret(self.attack_train),
            self._reading[0] if self._reading else None,
        )

    @property
    def budget(self) -> Budget:
        """The budget of the prepared scale."""
        return self.suite.budget(self.scale)

    def attack_inputs(self, attack: str, context: RunContext) -> AttackInputs:
        """What ``attack`` receives: both attack splits' z, attack_train's secrets, the
        client and layout when the defense offers them, the scale's budget, and its own seed,
        or the seed of the attack it builds on (``seeded_as``: the hybrid attack starts from
        the decoder attack's very reconstructions)."""
        budget = self.budget
        seeded_as = getattr(attack_registry.factory(attack), "seeded_as", attack)
        return AttackInputs(
            z_train=self.released.train,
            z_test=self.released.test,
            secret_train=self.target.secret(self.attack_train),
            target=self.target,
            seed=context.seed_for(f"attack:{seeded_as}"),
            budget=AttackBudget(
                epochs=budget.attack_epochs,
                iterations=budget.iterations,
                invert_images=budget.invert_images,
                patience=budget.attack_patience,
            ),
            client=self.released.client,
            layout=self.released.layout,
            device=context.device,
            progress=context.progress,
        )


def resolve_defense(defense: Defense | str) -> tuple[Defense, dict[str, Any]]:
    """The defense object and its description (registered name, parameters)."""
    if isinstance(defense, str):
        name = defense_registry.canonical(defense)
        built = defense_registry.get(name)
        return built, {"name": name, "params": dict(getattr(built, "params", {}))}
    capabilities(defense)  # raises a clear error when release is missing
    params = getattr(defense, "params", {})
    own = getattr(defense, "name", None)
    name = defense_registry.name_of(defense) or (own if isinstance(own, str) else None)
    name = name or type(defense).__name__
    return defense, {"name": name, "params": dict(params)}


def task_of(suite: Suite, dataset: ImageSet, image_size: int) -> Task:
    """The Task a defense is fitted for, from the suite and the data set's label sets."""
    return Task(
        image_size=image_size,
        task=suite.data.task,
        num_classes=dataset.num_classes(suite.data.task),
        sensitive=suite.data.sensitive,
        num_sensitive_classes=None
        if suite.data.is_input
        else dataset.num_classes(suite.data.sensitive),
    )


def target_of(task: Task) -> Target:
    """What the adversary is after in ``task``: the image, or the sensitive attribute."""
    if task.num_sensitive_classes is None:
        return InputTarget(task.image_size)
    return AttributeTarget(task.sensitive, task.num_sensitive_classes)


def _fit(
    defense: Defense,
    label: str,
    suite: Suite,
    budget: Budget,
    task: Task,
    train: Split,
    context: RunContext,
    phase: str,
) -> None:
    if budget.splits.defense_train == 0:
        raise DataError(
            f"{label} trains (it has fit) but scale {budget.scale!r} of suite "
            f"{suite.name!r} gives defense_train no images."
        )
    call_defense(
        defense,
        "fit",
        task,
        LabelledImages(train.images, train.labels),
        TrainingBudget(
            budget.defense_epochs,
            budget.batch_size,
            context.seed_for(phase),
            context.device,
            context.progress,
        ),
    )


def _restore(defense: Defense, entry: fit_cache.Entry, caps: Capabilities) -> Released | None:
    """The cached release, with ``defense`` restored to its cached state; None when the
    defense does not take the state back."""
    try:
        defense.load_state_dict(entry.state)  # type: ignore[attr-defined]
    except Exception:  # a third-party defense that cannot load before fit: fit it instead
        return None
    caps = capabilities(defense)
    tensors = entry.tensors
    return Released(
        tensors["z_train"],
        tensors["z_test"],
        tensors.get("server_logits"),
        defense.client if caps.client else None,  # type: ignore[attr-defined]
        getattr(defense, "layout", None),
    )


def prepare(
    defense: Defense | str,
    suite: Suite | str | Path,
    *,
    scale: str = "quick",
    data_root: str | Path | None = None,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    cache: bool = True,
    before_fit: Callable[[dict[str, Any], dict[str, str]], None] | None = None,
    context: RunContext | None = None,
    defense_repeat: int = 0,
) -> Prepared:
    """Draw the splits, fit the defense on defense_train and release both attack splits.

    Arguments as for ``privattack.evaluate``; ``before_fit(defense_info, fingerprints)`` runs
    once the splits are drawn and before anything trains (the last cheap moment to refuse);
    ``context`` is the run's (with its progress plan) when an evaluation passes one;
    ``defense_repeat`` k > 0 fits and releases with the k-th repeat's own seeds (the same
    splits): one more fit of the defense for an interval that covers its training.
    """
    again = f" repeat {defense_repeat}" if defense_repeat else ""
    context = context or RunContext(seed, device, progress)
    spec = load_suite(suite)
    budget = spec.budget(scale)
    defense_obj, info = resolve_defense(defense)
    caps = capabilities(defense_obj)
    label = info["name"]

    with context.phase("data"):
        dataset = open_dataset(spec.data.dataset, data_root)
        drawn = draw_splits(
            dataset,
            spec.data.labels,
            budget.splits,
            seed,
            budget.image_size,
            budget.official_splits,
        )
    task = task_of(spec, dataset, budget.image_size)
    if before_fit is not None:
        before_fit(info, drawn.fingerprints())
    fits_now = caps.fit and not getattr(defense_obj, "fitted", False)
    info["fit"] = (
        "none" if not caps.fit else FITTED_NOW if fits_now else "before this run (reused as given)"
    )

    status, released, key, material = "off", None, "", {}
    if cache and not fits_now:
        status = "not used: nothing to save, the defense is not fitted in this run"
    elif cache and not caps.state_dict:
        status = "not used: the defense has no state_dict to restore it from"
    elif cache:
        material = fit_cache.key_material(
            defense_obj,
            info["params"],
            suite=spec.digest,
            scale=scale,
            seed=seed,
            device=device,
            data=[dataset.name, dataset.layout, dataset.origin],
            splits=drawn.fingerprints(),
            **({"defense_repeat": defense_repeat} if defense_repeat else {}),
        )
        key = fit_cache.entry_key(material)
        with context.phase("cache"):
            entry = fit_cache.lookup(key, material, device)
            released = None if entry is None else _restore(defense_obj, entry, caps)
        status = "hit" if released is not None else "miss"
        if released is not None:
            info["fit"] = FITTED_FROM_CACHE
        else:
            context.seconds.pop("cache")

    if released is None:
        if fits_now:
            with context.phase("fit"):
                _fit(
                    defense_obj,
                    label,
                    spec,
                    budget,
                    task,
                    drawn.defense_train,
                    context,
                    "fit" + again,
                )
        caps = capabilities(defense_obj)
        with context.phase("release"):
            released = release(
                defense_obj,
                caps,
                drawn.attack_train.images,
                drawn.attack_test.images,
                label,
                context.seed_for("release" + again),
                task.num_classes,
                device,
            )
        if status == "miss":
            status = _store(defense_obj, key, material, released)
    caps = capabilities(defense_obj)
    if released.client is not None:
        info["client_weights"] = weights_digest(released.client)

    return Prepared(
        suite=spec,
        scale=scale,
        seed=seed,
        task=task,
        target=target_of(task),
        defense_info=info,
        caps=caps,
        data_info={
            "dataset": dataset.name,
            "source": dataset.origin,
            "layout": dataset.layout,
            "image_size": budget.image_size,
            "n": drawn.sizes(),
            "fingerprints": drawn.fingerprints(),
        },
        attack_train=drawn.attack_train,
        attack_test=drawn.attack_test,
        released=released,
        seconds=context.seconds,
        cache=status,
    )


def _store(defense: Defense, key: str, material: dict[str, Any], released: Released) -> str:
    """Keep the fitted defense and its release in the cache; the status for the report."""
    state = fit_cache.flatten(defense.state_dict())  # type: ignore[attr-defined]
    if state is None:
        return "not used: the defense's state_dict holds more than tensors"
    tensors = {"z_train": released.train, "z_test": released.test}
    if released.server_logits is not None:
        tensors["server_logits"] = released.server_logits
    fit_cache.store(key, material, state, tensors)
    return "stored"
