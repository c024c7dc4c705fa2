"""Throughput of writing and reading an activation benchmark (privattack.export's format).

The defense is fitted and the activations released once (not timed); then the folder is
written, read back in full (hashes checked, images from the data set by id) and streamed shard
by shard, each best of ``--repeats``.

Usage: python benchmarks/export.py [--defense split] [--suite cifar10_input] [--scale quick]
                                   [--images] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from privattack.activations import ATTACK_SPLITS, iter_shards, load_activations, write_activations
from privattack.prepare import prepare


def best_seconds(action: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defense", default="split")
    parser.add_argument("--suite", default="cifar10_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--images", action="store_true", help="store the images too")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    prepared = prepare(args.defense, args.suite, scale=args.scale, progress=False)
    count = len(prepared.released.train) + len(prepared.released.test)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "benchmark"
        write = best_seconds(
            lambda: write_activations(prepared, folder, images=args.images), args.repeats
        )
        megabytes = sum(p.stat().st_size for p in Path(folder).glob("*.safetensors")) / 1e6
        load = best_seconds(lambda: load_activations(folder), args.repeats)
        stream = best_seconds(
            lambda: [None for s in ATTACK_SPLITS for _ in iter_shards(folder, s)], args.repeats
        )
    z_shape = tuple(prepared.released.train.shape[1:])
    print(
        f"{args.defense} on {args.suite} ({args.scale}): {count} activations of shape {z_shape}, "
        f"{megabytes:.1f} MB on disk{' with images' if args.images else ''}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}, best of {args.repeats}"
    )
    print(f"{'step':<32} {'seconds':>8} {'activations/s':>14} {'MB/s':>8}")
    for step, seconds in (
        ("export (write + hash)", write),
        ("load_activations (full)", load),
        ("iter_shards (stream, checked)", stream),
    ):
        print(f"{step:<32} {seconds:>8.2f} {count / seconds:>14.0f} {megabytes / seconds:>8.1f}")


if __name__ == "__main__":
    main()
