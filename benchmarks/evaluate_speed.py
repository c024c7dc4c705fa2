"""Wall time of evaluate("split", "fairface_input") at quick scale, phase by phase, and the
split model's training throughput against a plain PyTorch loop on the same model and batches.

Usage: python benchmarks/evaluate_speed.py [--scale quick] [--repeats 3] [--attacks decoder]
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
import torch.nn.functional as F
from kornia.augmentation import RandomHorizontalFlip
from torch import nn

import privattack
from privattack.defenses._resnet import split_resnet18
from privattack.training import train_supervised

IMAGES, SIZE, BATCH, EPOCHS = 256, 64, 32, 2


def plain_loop(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    """The loop a user would write by hand: Adam, shuffled batches, flips."""
    flip = RandomHorizontalFlip()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x))
        for start in range(0, len(x), BATCH):
            idx = order[start : start + BATCH]
            loss = F.cross_entropy(model(flip(x[idx])), y[idx])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()


def images_per_second(train: str, repeats: int) -> float:
    x, y = torch.rand(IMAGES, 3, SIZE, SIZE), torch.randint(0, 2, (IMAGES,))
    best = float("inf")
    for _ in range(repeats):
        torch.manual_seed(0)
        model = nn.Sequential(*split_resnet18("layer1", SIZE, 2))
        start = time.perf_counter()
        if train == "plain":
            plain_loop(model, x, y)
        else:
            train_supervised(
                model,
                x,
                y,
                F.cross_entropy,
                augment=RandomHorizontalFlip(),
                epochs=EPOCHS,
                batch_size=BATCH,
                lr=1e-3,
            )
        best = min(best, time.perf_counter() - start)
    return IMAGES * EPOCHS / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--attacks", nargs="+", help="only these attacks (default: the suite's)")
    parser.add_argument(
        "--trials", type=int, default=0, help="tuning trials per attack (0: default parameters)"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}"
    )

    start = time.perf_counter()
    report = privattack.evaluate(
        "split",
        "fairface_input",
        scale=args.scale,
        attacks=args.attacks,
        trials=args.trials,
        progress=False,
        cache=False,
    )
    total = time.perf_counter() - start
    attacks = ", ".join(args.attacks or list(report.leakage))
    print(
        f"\nevaluate('split', 'fairface_input', scale='{args.scale}'), attacks {attacks}: "
        f"{total:.1f} s"
    )
    for phase, seconds in report.manifest["seconds"].items():
        print(f"  {phase:<16} {seconds:7.1f} s")
    print(f"  {'metrics+report':<16} {total - sum(report.manifest['seconds'].values()):7.1f} s")

    plain = images_per_second("plain", args.repeats)
    ours = images_per_second("privattack", args.repeats)
    print(f"\nsplit model training, {SIZE} px, batch {BATCH} (best of {args.repeats}):")
    print(f"  plain PyTorch loop   {plain:7.1f} images/s")
    print(f"  privattack loop      {ours:7.1f} images/s")
    print(f"  overhead             {100 * (plain - ours) / plain:+7.1f} %")


if __name__ == "__main__":
    main()
