"""Does the hybrid attack beat both attacks it combines? On exported activations (``privattack
export``), each point faces the decoder in every family, the likelihood attack and the hybrid
attack, all with default parameters, seeded as ``evaluate`` seeds them; prints each one's SSIM
(95% interval, on the test images each scored: the white-box attacks and the hybrid invert
the scale's first ``invert_images``) and the hybrid's gain over the best of the others.
``--hybrid-params`` runs the hybrid once per JSON object given (a row each), e.g.
'{"decoder_family": "best"}'; ``--hybrid-only`` skips the decoder and likelihood attacks.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/hybrid_attack.py EXPORT [EXPORT ...]
           [--out results/hybrid/points.jsonl] [--hybrid-params JSON ...] [--hybrid-only]
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
    parser.add_argument("--hybrid-params", nargs="+", type=json.loads, default=[{}])
    parser.add_argument("--hybrid-only", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    head = ["point", "seed", "decoder SSIM (worst family)", "likelihood SSIM", "hybrid SSIM"]
    print("| " + " | ".join([*head, "hybrid - best other"]) + " |\n" + "|---" * 6 + "|")
    for folder in args.exports:
        prepared = load_activations(folder)
        others: dict = {"seed": prepared.seed, "attacks": {}}
        if not args.hybrid_only:
            others, _ = attack_point(prepared, ["decoder", "likelihood"], 0, args.families)
        family, decoder_metrics = worst_decoder(others)
        decoder, likelihood = decoder_metrics and decoder_metrics["ssim"], None
        if "likelihood" in others["attacks"]:
            likelihood = others["attacks"]["likelihood"]["ssim"]
        for params in args.hybrid_params:
            start = time.perf_counter()
            # An export keeps the suite it was made with, which may predate the hybrid attack.
            context = RunContext(prepared.seed)
            result = attacks.get("hybrid", **params).run(prepared.attack_inputs("hybrid", context))
            line = {**others, "attacks": dict(others["attacks"]), "hybrid_params": params}
            line["attacks"]["hybrid"] = with_failure(score("hybrid", [result], prepared, context))
            line.update(export=folder, seconds=round(time.perf_counter() - start, 1))
            with out.open("a") as handle:
                handle.write(json.dumps(line) + "\n")
            hybrid = line["attacks"]["hybrid"]["ssim"]
            best_other = max((v["mean"] for v in (decoder, likelihood) if v), default=None)
            gain = "-" if best_other is None else f"{hybrid['mean'] - best_other:+.3f}"
            print(
                f"| {Path(folder).name} | {line['seed']} | {interval(decoder)} ({family}) | "
                f"{interval(likelihood)} | {interval(hybrid)} {json.dumps(params)} | {gain} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
