"""Tuning one attack, with and without the median pruner: time to the best trial, trials
pruned, and the tuned parameters' leakage on attack_test next to the defaults'.

Usage: python benchmarks/tuning.py [--defense split] [--suite fairface_input] [--scale quick]
                                   [--attack decoder] [--trials 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import platform

import optuna
import torch

import privattack
from privattack.prepare import prepare
from privattack.run import RunContext
from privattack.tuning import tune


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defense", default="split")
    parser.add_argument("--suite", default="fairface_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--attack", default="decoder")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    prepared = prepare(args.defense, args.suite, scale=args.scale, seed=args.seed, progress=False)
    print(
        f"{args.attack} attack on {args.defense} / {args.suite} ({args.scale}), seed {args.seed}, "
        f"{args.trials} trials; torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}"
    )
    header = f"{'pruner':<8} {'trials':>6} {'pruned':>6} {'seconds':>8} {'to best':>8}"
    print(f"{header}  best (validation)")
    unpruned = tune(prepared, args.attack, RunContext(args.seed), trials=args.trials, prune=False)
    report = privattack.evaluate_activations(
        prepared, attacks=[args.attack], trials=args.trials, prune=True, progress=False
    )
    leak = report.leakage[args.attack]
    assert leak.tuning is not None
    for name, tuned in (("none", unpruned), ("median", leak.tuning)):
        print(
            f"{name:<8} {tuned.trials:>6} {tuned.pruned:>6} {tuned.seconds:>8.1f} "
            f"{tuned.seconds_to_best:>8.1f}  {tuned.metric} {tuned.best_validation:.3f} "
            f"{tuned.best_params}"
        )
    metric = leak.tuning.metric
    tuned, default = leak.metrics[metric], leak.default[metric]
    print(
        f"\nattack_test {metric}: default parameters {default.mean:.3f} "
        f"[{default.ci[0]:.3f}, {default.ci[1]:.3f}], tuned {tuned.mean:.3f} "
        f"[{tuned.ci[0]:.3f}, {tuned.ci[1]:.3f}] (tuned with the median pruner)"
    )


if __name__ == "__main__":
    main()
