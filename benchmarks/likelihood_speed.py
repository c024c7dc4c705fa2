"""Seconds per image of the white-box likelihood attack at 64 px, batched against one image at
a time, for clients cut after layer1 and layer2, with the final SSIM of each (equal work).

Batched mode inverts ``--images`` faces at once: by default the attack's own default batch
size, what ``evaluate`` runs. One at a time inverts the first ``--single`` of them (all by
default); the SSIM of both modes over those same faces shows that they did equal work.

Usage: python benchmarks/likelihood_speed.py [--images 32] [--single 16] [--iterations 300]
"""

from __future__ import annotations

import argparse
import time

import torch

import privattack
from privattack.attacks import AttackBudget, AttackInputs
from privattack.data import open_dataset
from privattack.metrics import ssim
from privattack.registry import attacks
from privattack.targets import InputTarget


def run(
    defense: privattack.Defense, x: torch.Tensor, batch: int, iterations: int, attack: str
) -> tuple[float, torch.Tensor]:
    """(seconds per image, SSIM of each image) of inverting ``x`` in batches of ``batch``."""
    z = defense.release(x)
    data = AttackInputs(
        z_train=z,
        z_test=z,
        secret_train=x,
        target=InputTarget(x.shape[-1]),
        seed=0,
        budget=AttackBudget(iterations=iterations),
        client=defense.client,  # type: ignore[attr-defined]
    )
    # Untimed warm-up at the same batch size: the first steps build oneDNN's kernels.
    attacks.get(attack, batch_size=batch, iterations=5).run(data)
    start = time.perf_counter()
    x_hat = attacks.get(attack, batch_size=batch).run(data).images
    seconds = (time.perf_counter() - start) / len(x)
    return seconds, ssim(x_hat, x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--images", type=int, help="faces inverted at once (default: the attack's batch size)"
    )
    parser.add_argument(
        "--single", type=int, help="faces inverted one at a time (default: all of them)"
    )
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--attack", default="likelihood")
    args = parser.parse_args()
    args.images = args.images or attacks.get(args.attack).config.batch_size
    faces = open_dataset("fairface", None)
    x = faces.images(range(0, len(faces), len(faces) // args.images)[: args.images], 64)
    print(
        f"{args.attack} attack, {args.images} FairFace faces at 64 px, {args.iterations} "
        f"iterations, {torch.get_num_threads()} torch threads"
    )
    alone = args.single or args.images
    print(f"{'client':<8} {'mode':<22} {'s/image':>8} {'SSIM':>6} {f'SSIM, first {alone}':>15}")
    for cut in ("layer1", "layer2"):
        torch.manual_seed(0)
        defense = privattack.defenses.get("split", cut=cut, image_size=64, num_classes=2)
        batched = run(defense, x, args.images, args.iterations, args.attack)
        single = run(defense, x[:alone], 1, args.iterations, args.attack)
        for mode, (seconds, scores) in (
            (f"batched ({args.images} at once)", batched),
            (f"one at a time ({alone})", single),
        ):
            print(
                f"{cut:<8} {mode:<22} {seconds:8.2f} {scores.mean().item():6.3f} "
                f"{scores[:alone].mean().item():15.3f}"
            )
        print(f"{cut:<8} speed-up {single[0] / batched[0]:.2f}x")


if __name__ == "__main__":
    main()
