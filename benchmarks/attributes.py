"""Which of the person's attributes survive the reconstruction? On exported activations
(``privattack export``), each attack (default parameters, seeded as ``evaluate`` seeds it)
reconstructs attack_test, and the attacker's attribute reader (probes on the face model's
embeddings, fitted on attack_train's originals) reads them; prints, per point and attack, SSIM,
re-identification, ``attributes_kept`` and ``attributes_read`` (95% intervals) and the
attributes read best from the reconstructions.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/attributes.py EXPORT [EXPORT ...]
           [--attacks decoder hybrid] [--out results/attributes/points.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from reproduce import interval, with_failure

from privattack.activations import load_activations
from privattack.registry import attacks
from privattack.run import RunContext
from privattack.scoring import score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", help="folders privattack export wrote")
    parser.add_argument("--attacks", nargs="+", default=["decoder", "hybrid"])
    parser.add_argument("--out", default="results/attributes/points.jsonl")
    args = parser.parse_args()
    os.environ["PRIVATTACK_FACES"] = "on"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    head = ["point", "attack", "n", "SSIM", "reid top-1", "attributes kept", "attributes read"]
    print("| " + " | ".join([*head, "read best (reconstructions / originals / chance)"]) + " |")
    print("|---" * (len(head) + 1) + "|")
    for folder in args.exports:
        prepared = load_activations(folder)
        context = RunContext(prepared.seed)
        reading = prepared.truth(context).reading
        assert reading is not None, "the face model did not run"
        line = {"export": folder, "seed": prepared.seed, "defense": prepared.defense_info}
        line["readable"] = list(reading.names)
        for name in args.attacks:
            start = time.perf_counter()
            # An export keeps the suite it was made with, which may predate an attack.
            result = attacks.get(name).run(prepared.attack_inputs(name, context))
            leak = score(name, [result], prepared, context)
            line[name] = {
                **with_failure(leak),
                "attributes": leak.extra["attributes"],
                "n": leak.extra["n"],
                "seconds": round(time.perf_counter() - start, 1),
            }
            table = leak.extra["attributes"]
            best = sorted(table, key=lambda a: table[a]["chance"] - table[a]["reconstructions"])
            shown = ", ".join(
                f"{a} {table[a]['reconstructions']:.2f} / {table[a]['originals']:.2f} / "
                f"{table[a]['chance']:.2f}"
                for a in best[:3]
            )
            got = line[name]
            print(
                f"| {Path(folder).name} | {name} | {leak.extra['n']} | {interval(got['ssim'])} | "
                f"{interval(got.get('reid_top1'))} | {interval(got['attributes_kept'])} | "
                f"{interval(got['attributes_read'])} of {len(reading.names)} | {shown} |",
                flush=True,
            )
        with out.open("a") as handle:
            handle.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
