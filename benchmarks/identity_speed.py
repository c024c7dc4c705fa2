"""What identity scoring costs: one evaluation of a face input suite, its wall time, and the
seconds the identity metrics (the face model's embeddings, ranks and their nulls) took in it.

Usage: python benchmarks/identity_speed.py --suite fairface_input --scale quick [--trials 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

import privattack
from privattack.metrics.identity import face_embeddings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="fairface_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--defense", default="split")
    parser.add_argument("--trials", type=int, help="tuning trials per attack (default: scale)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="where to write the evaluation's report (default: none)")
    args = parser.parse_args()
    print(
        f"{args.defense} on {args.suite} ({args.scale}, seed {args.seed}); torch "
        f"{torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}",
        flush=True,
    )
    generator = torch.Generator().manual_seed(args.seed)
    face_embeddings(torch.rand(64, 3, 64, 64, generator=generator))  # starts the workers
    start = time.perf_counter()
    face_embeddings(torch.rand(256, 3, 64, 64, generator=generator))
    each = (time.perf_counter() - start) / 256 * 1000
    print(f"face model: {each:.0f} ms per face (256 at once, workers started)")
    start = time.perf_counter()
    report = privattack.evaluate(
        args.defense, args.suite, scale=args.scale, seed=args.seed, trials=args.trials,
        cache=False, progress=False, out=args.out,
    )  # fmt: skip
    total = time.perf_counter() - start
    seconds = report.manifest["seconds"]
    identity, reader = seconds.get("identity", 0.0), seconds.get("attributes", 0.0)
    trials = report.leakage and next(iter(report.leakage.values())).tuning
    print(f"evaluate: {total:.1f} s ({'tuned' if trials else 'default parameters'})")
    print(f"identity scoring: {identity:.1f} s, {identity / total:.1%} of the evaluation")
    print(f"attribute reader: {reader:.1f} s; together {(identity + reader) / total:.1%}")
    print("phases: " + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()))
    for name, leak in report.leakage.items():
        cells = ", ".join(
            f"{m} {leak.metrics[m].mean:.3f}" for m in ("ssim", "reid_top1", "iip_top1")
            if m in leak.metrics
        )  # fmt: skip
        print(f"  {name}: {cells} (gallery {leak.extra['gallery']}, {leak.extra['n']} scored)")


if __name__ == "__main__":
    main()
