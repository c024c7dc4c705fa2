"""Does training to convergence move the decoder attack? On each exported activation benchmark,
the decoder (default hyper-parameters) trained the scale's fixed epochs, then with early
stopping: a fifth of attack_train held out, at most ``--epochs`` epochs, stopping after
``--patience`` without a better held-out SSIM, the best epoch's weights kept. Prints each
one's test SSIM (95% bootstrap interval), the epochs run, the best epoch and the seconds.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/convergence.py EXPORT [EXPORT ...]
           [--epochs 150] [--patience 10] [--family auto]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from privattack.activations import load_activations
from privattack.registry import attacks
from privattack.run import RunContext
from privattack.scoring import score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", help="folders privattack export wrote")
    parser.add_argument("--epochs", type=int, default=150, help="the cap with early stopping")
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--family", default="auto", help="the decoder family")
    args = parser.parse_args()
    print("| point | seed | training | decoder SSIM [95%] | epochs run | best epoch | seconds |")
    print("|---|---|---|---|---|---|---|")
    for folder in args.exports:
        prepared = load_activations(folder)
        context = RunContext(prepared.seed)
        inputs = prepared.attack_inputs("decoder", context)
        fixed = {"family": args.family}
        patient = {**fixed, "epochs": args.epochs, "patience": args.patience}
        for label, params in (("fixed epochs", fixed), ("early stopping", patient)):
            start = time.perf_counter()
            result = attacks.get("decoder", **params).run(inputs)
            value = score("decoder", [result], prepared, context).ssim
            ran = result.params
            print(
                f"| {Path(folder).name} | {prepared.seed} | {label} | {value.mean:.3f} "
                f"[{value.ci[0]:.3f}, {value.ci[1]:.3f}] | {ran['epochs_run']} | "
                f"{ran.get('best_epoch', '-')} | {time.perf_counter() - start:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
