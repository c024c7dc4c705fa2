"""Speed and peak memory of privattack's parts on this machine (issue 12): images/s of each
defense's training and of each trained attack, seconds per image of the likelihood attack, and
the wall time of ``evaluate`` per suite. Each measurement runs in its own process, so its peak
resident memory is its own.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/speed.py \
           [--only train attack likelihood evaluate] [--scales smoke] [--images 256]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from likelihood_speed import run as likelihood_seconds

import privattack
from privattack.attacks import AttackBudget, AttackInputs
from privattack.data import open_dataset
from privattack.registry import attacks
from privattack.targets import AttributeTarget, InputTarget

SIZE = 64
DEFENSES: list[tuple[str, dict[str, Any], str]] = [
    # (defense, params, sensitive target it is trained against)
    ("split", {}, "input"),
    ("pruning", {"ratio": 0.8}, "input"),
    ("noise", {"sigma": 1.0}, "input"),
    ("adversarial", {"lam": 1.0}, "input"),
    ("maxentropy", {"lam": 1.0}, "race"),
    ("nopeek", {"alpha": 1.0}, "input"),
    ("shredder", {"lam": 1.0}, "input"),
    ("disco", {"decoupler": False}, "input"),
    ("disco", {"decoupler": True}, "input"),
]
SUITES = [
    "cifar10_input",
    "cifar10_attribute",
    "fairface_input",
    "fairface_attribute",
    "celeba_input",
    "celeba_attribute",
    "celeba_mouth",
    "celeba_nose",
    "utkface_attribute",
]


def faces(images: int) -> privattack.LabelledImages:
    data = open_dataset("fairface", None)
    labels = {n: torch.from_numpy(data.label(n)[:images]) for n in ("gender", "race")}
    return privattack.LabelledImages(data.images(range(images), SIZE), labels)


def train(index: int, images: int) -> dict[str, Any]:
    """One epoch of a defense's fit; DISCO's two phases count as two passes."""
    name, params, sensitive = DEFENSES[index]
    task = privattack.Task(SIZE, "gender", 2, sensitive, None if sensitive == "input" else 7)
    defense = privattack.defenses.get(name, **params)
    data = faces(images)
    start = time.perf_counter()
    defense.fit(task, data, privattack.TrainingBudget(1, 32, seed=0))
    seconds = time.perf_counter() - start
    passes = 2 if name == "disco" else 1
    label = f"{name} {params}" if params else name
    return {"what": f"train {label}", "value": passes * images / seconds, "unit": "images/s"}


def attack(name: str, images: int) -> dict[str, Any]:
    """One attack trained for 5 epochs on the undefended split's activations of ``images``
    faces, counted in training images per second."""
    data = faces(images)
    split = privattack.defenses.get("split", image_size=SIZE, num_classes=2)
    z = split.release(data.images)
    attribute = name == "attribute"
    attack_data = AttackInputs(
        z_train=z,
        z_test=z[:32],
        secret_train=data.labels["race"] if attribute else data.images,
        target=AttributeTarget("race", 7) if attribute else InputTarget(SIZE),
        seed=0,
        budget=AttackBudget(epochs=5),
        client=split.client,
    )
    start = time.perf_counter()
    attacks.get(name).run(attack_data)
    return {
        "what": f"attack {name} (5 epochs)",
        "value": 5 * images / (time.perf_counter() - start),
        "unit": "images/s",
    }


def likelihood() -> dict[str, Any]:
    """Seconds per image of the likelihood attack, 16 faces at once, 300 iterations, layer1."""
    split = privattack.defenses.get("split", image_size=SIZE, num_classes=2)
    seconds, _ = likelihood_seconds(split, faces(16).images, 16, 300, "likelihood")
    return {
        "what": "likelihood attack, 300 iterations, layer1",
        "value": seconds,
        "unit": "s/image",
    }


def evaluate(suite: str, scale: str) -> dict[str, Any]:
    """Wall time of evaluate('split', suite) with default attack parameters."""
    start = time.perf_counter()
    privattack.evaluate("split", suite, scale=scale, trials=0, progress=False, cache=False)
    return {
        "what": f"evaluate split on {suite} ({scale})",
        "value": time.perf_counter() - start,
        "unit": "s",
    }


def jobs(only: list[str], scales: list[str], images: int) -> list[list[str]]:
    """The ``--one`` argument lists of every measurement asked for."""
    found = []
    if "train" in only:
        found += [["train", str(k), str(images)] for k in range(len(DEFENSES))]
    if "attack" in only:
        found += [["attack", name, str(images)] for name in ("decoder", "attribute")]
    if "likelihood" in only:
        found.append(["likelihood", "0", str(images)])
    if "evaluate" in only:
        found += [["evaluate", suite, scale] for scale in scales for suite in SUITES]
    return found


MEASURE: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "train": lambda index, images: train(int(index), int(images)),
    "attack": lambda name, images: attack(name, int(images)),
    "likelihood": lambda _first, _second: likelihood(),
    "evaluate": evaluate,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=list(MEASURE), choices=list(MEASURE))
    parser.add_argument("--scales", nargs="+", default=["smoke"])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # a child process's job
    args = parser.parse_args()
    if args.one:
        kind, first, second = args.one
        figure = MEASURE[kind](first, second)
        figure["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figure))
        return
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}; training and attack figures on "
        f"{args.images} FairFace faces at {SIZE} px, batch 32"
    )
    print(f"{'what':<58} {'value':>10} {'unit':<9} {'peak MB':>8}")
    for job in jobs(args.only, args.scales, args.images):
        child = subprocess.run(
            [sys.executable, __file__, "--one", *job], capture_output=True, text=True
        )
        if child.returncode != 0:
            reason = child.stderr.strip().splitlines()[-1] if child.stderr.strip() else "failed"
            print(f"{' '.join(job):<58} {'-':>10} {reason}")
            continue
        figure = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{figure['what']:<58} {figure['value']:>10.2f} {figure['unit']:<9} "
            f"{figure['peak_mb']:>8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
