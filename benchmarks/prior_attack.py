"""The learned-prior attack on exported activations (``privattack export``): its SSIM and
re-identification (95% intervals, on the scale's first ``invert_images`` test images), seeded
as ``evaluate`` seeds it, with default parameters; and its seconds, the prior's training and
the two searches together, against the attacks the hybrid benchmark ran on the same folders
(``results/hybrid/points.jsonl``, when there).

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/prior_attack.py EXPORT [EXPORT ...]
           [--out results/prior/points.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from reproduce import estimate, finished, interval, worst_decoder

from privattack.activations import load_activations
from privattack.registry import attacks
from privattack.run import RunContext
from privattack.scoring import score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", help="folders privattack export wrote")
    parser.add_argument("--out", default="results/prior/points.jsonl")
    parser.add_argument("--hybrid", default="results/hybrid/points.jsonl")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    others = {line["export"]: line for line in finished(Path(args.hybrid))}
    head = ["point", "seed", "prior SSIM", "prior re-id top-1", "seconds", "others (SSIM)"]
    print("| " + " | ".join(head) + " |\n" + "|---" * len(head) + "|")
    for folder in args.exports:
        prepared = load_activations(folder)
        context = RunContext(prepared.seed)
        start = time.perf_counter()
        result = attacks.get("prior").run(prepared.attack_inputs("prior", context))
        seconds = time.perf_counter() - start
        leak = score("prior", [result], prepared, context)
        line = {
            "export": folder,
            "seed": prepared.seed,
            "defense": prepared.defense_info,
            "prior": {m: estimate(v) for m, v in leak.metrics.items()},
            "failed": leak.failed,
            "n": leak.extra["n"],
            "seconds": round(seconds, 1),
        }
        with out.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        other = others.get(folder)
        compared = "-"
        if other is not None:
            family, decoder = worst_decoder(other)
            compared = ", ".join(
                [f"decoder ({family}) {decoder['ssim']['mean']:.3f}"]
                + [
                    f"{a} {other['attacks'][a]['ssim']['mean']:.3f}"
                    for a in ("likelihood", "hybrid")
                ]
            )
        reid = interval(line["prior"].get("reid_top1"))
        print(
            f"| {Path(folder).name} | {line['seed']} | {interval(line['prior']['ssim'])}"
            f"{' (failed)' if leak.failed else ''} | {reid} | {seconds:.0f} | {compared} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
