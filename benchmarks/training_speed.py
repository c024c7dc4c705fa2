"""Training throughput (images/s) of each built-in defense's ``fit`` at 64 px on real faces.

Usage: python benchmarks/training_speed.py [--images 128] [--epochs 1]
"""

from __future__ import annotations

import argparse
import time

import torch

import privattack
from privattack.data import open_dataset

CONFIGS = [
    ("split", {}),
    ("pruning", {"ratio": 0.8}),
    ("disco", {"decoupler": False}),
    ("disco", {"decoupler": True}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    faces = open_dataset("fairface", None)
    x = faces.images(range(args.images), 64)
    labels = {
        name: torch.from_numpy(faces.label(name)[: args.images]) for name in ("gender", "race")
    }
    train = privattack.LabelledImages(x, labels)
    print(
        f"fit on {args.images} FairFace faces at 64 px, {args.epochs} epoch(s), batch 32, "
        f"{torch.get_num_threads()} torch threads"
    )
    for sensitive in ("input", "race"):
        task = privattack.Task(64, "gender", 2, sensitive, None if sensitive == "input" else 7)
        for name, params in CONFIGS:
            defense = privattack.defenses.get(name, **params)
            budget = privattack.TrainingBudget(args.epochs, 32, seed=0)
            start = time.perf_counter()
            defense.fit(task, train, budget)
            seconds = time.perf_counter() - start
            # DISCO trains in two phases of `epochs` each: count the images it processed.
            passes = 2 if name == "disco" else 1
            label = f"{name} {params}" if params else name
            print(
                f"  sensitive {sensitive:<6} {label:<28} "
                f"{passes * args.images * args.epochs / seconds:7.1f} images/s"
            )


if __name__ == "__main__":
    main()
