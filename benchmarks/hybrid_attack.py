"""Does the hybrid attack beat both attacks it combines? On exported activations (``privattack
export``), each point faces the decoder in every family, the likelihood attack and the hybrid
attack, all with default parameters, seeded as ``evaluate`` seeds them; prints each one's SSIM
(95% interval, on the test images each scored: the white-box attacks and the hybrid invert
the scale's first ``invert_images``) and the hybrid's gain over the best of the others.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/hybrid_attack.py EXPORT [EXPORT ...]
           [--out results/hybrid/points.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from reproduce import attack_point, interval, with_failure, worst_decoder

from privattack.activations import load_activations
from privattack.registry import attacks
from privattack.run import RunContext
from privattack.scoring import score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", help="folders privattack export wrote")
    parser.add_argument("--families", nargs="+", default=["conv", "tiles", "fc"])
    parser.add_argument("--out", default="results/hybrid/points.jsonl")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    head = ["point", "seed", "decoder SSIM (worst family)", "likelihood SSIM", "hybrid SSIM"]
    print("| " + " | ".join([*head, "hybrid - best other"]) + " |\n" + "|---" * 6 + "|")
    for folder in args.exports:
        start = time.perf_counter()
        prepared = load_activations(folder)
        line, _ = attack_point(prepared, ["decoder", "likelihood"], 0, args.families)
        # An export keeps the suite it was made with, which may predate the hybrid attack.
        context = RunContext(prepared.seed)
        result = attacks.get("hybrid").run(prepared.attack_inputs("hybrid", context))
        line["attacks"]["hybrid"] = with_failure(score("hybrid", [result], prepared, context))
        line.update(export=folder, seconds=round(time.perf_counter() - start, 1))
        with out.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        family, decoder_metrics = worst_decoder(line)
        decoder = decoder_metrics["ssim"]
        likelihood, hybrid = (line["attacks"][a]["ssim"] for a in ("likelihood", "hybrid"))
        gain = hybrid["mean"] - max(decoder["mean"], likelihood["mean"])
        print(
            f"| {Path(folder).name} | {line['seed']} | {interval(decoder)} ({family}) | "
            f"{interval(likelihood)} | {interval(hybrid)} | {gain:+.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
