"""The fit cache: two identical ``evaluate`` calls in a fresh cache folder; the second restores
the fitted defense and its release instead of computing them. Prints each call's wall time and
the seconds per phase from its manifest (the second has no ``fit`` or ``release``).

Usage: python benchmarks/cache.py [--defense disco] [--suite fairface_input] [--scale quick]
                                  [--attacks decoder ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import torch

import privattack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defense", default="disco")
    parser.add_argument("--suite", default="fairface_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--attacks", nargs="+", help="only these attacks (default: the suite's)")
    args = parser.parse_args()
    print(
        f"{args.defense} on {args.suite} ({args.scale}), default attack parameters; torch "
        f"{torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PRIVATTACK_CACHE"] = folder
        runs = []
        for _ in range(2):
            start = time.perf_counter()
            report = privattack.evaluate(
                args.defense,
                args.suite,
                scale=args.scale,
                attacks=args.attacks,
                trials=0,
                progress=False,
            )
            runs.append((time.perf_counter() - start, report))
    phases = list(dict.fromkeys(p for _, r in runs for p in r.manifest["seconds"]))
    print(f"{'':<18} {'first':>9} {'second':>9}")
    print(f"{'cache':<18} {runs[0][1].manifest['cache']:>9} {runs[1][1].manifest['cache']:>9}")
    for phase in phases:
        cells = [r.manifest["seconds"].get(phase) for _, r in runs]
        text = ["-" if c is None else f"{c:.1f}" for c in cells]
        print(f"{phase:<18} {text[0]:>9} {text[1]:>9}")
    (first, a), (second, b) = runs
    same = a.to_dict()["leakage"] == b.to_dict()["leakage"] and a.utility == b.utility
    ratio = second / first
    print(f"{'wall seconds':<18} {first:9.1f} {second:9.1f}   second / first = {ratio:.2f}")
    print(f"same utility and leakage: {same}")


if __name__ == "__main__":
    main()
