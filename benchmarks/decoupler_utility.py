"""What DISCO's spatial decoupler costs in utility before any pruning: phase (i) alone
(pre-processing, client and server trained for the task, as DISCO trains them), with the
decoupler off and on, for several training lengths and grids, beside the undefended split
trained as long (config ``split:-:EPOCHS``), the reference DISCO's utility is held to.

Accuracy is measured on the suite's attack_train split (held out from training, and not the
test split, so that reading it to choose a recipe does not tune on attack_test).

``--train N`` trains on N images instead of the scale's defense_train (CelebA here holds 5,000:
at most 3,500 beside the 1,000 held out and the 500 of attack_test), to see whether the
decoupler's cost is a matter of data.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/decoupler_utility.py \
           --configs off:4:5 on:4:5 on:4:10 on:2:5 split:-:5 split:-:10 [--train 3500]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from privattack.data import draw_splits, open_dataset
from privattack.defenses.disco import DiscoDefense
from privattack.defenses.split import SplitDefense
from privattack.prepare import task_of
from privattack.protocol import LabelledImages, TrainingBudget
from privattack.suites import load
from privattack.training import predict_batched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="celeba_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["off:4:5", "on:4:5", "on:4:10", "on:2:5"],
        help="decoupler (on/off, or split for the undefended split) : grid d : epochs",
    )
    parser.add_argument("--train", type=int, help="training images (default: the scale's)")
    args = parser.parse_args()
    spec = load(args.suite)
    budget = spec.budget(args.scale)
    if args.train is not None:
        splits = dataclasses.replace(budget.splits, defense_train=args.train)
        budget = dataclasses.replace(budget, splits=splits)
    dataset = open_dataset(spec.data.dataset)
    drawn = draw_splits(
        dataset,
        spec.data.labels,
        budget.splits,
        args.seed,
        budget.image_size,
        budget.official_splits,
    )
    train = LabelledImages(drawn.defense_train.images, drawn.defense_train.labels)
    x_val = drawn.attack_train.images
    y_val = drawn.attack_train.labels[spec.data.task]
    task = task_of(spec, dataset, budget.image_size)
    print(f"{args.suite} ({args.scale}), {len(train.images)} training and {len(x_val)} held-out")
    print(f"{'decoupler':<10} {'grid':>4} {'epochs':>6} {'accuracy':>9} {'seconds':>8}")
    for config in args.configs:
        decoupler, grid, epochs = config.split(":")
        phase_budget = TrainingBudget(int(epochs), budget.batch_size, args.seed)
        start = time.perf_counter()
        if decoupler == "split":
            split = SplitDefense()
            split.fit(task, train, phase_budget)
            utility_model = split.utility_model()
        else:
            disco = DiscoDefense(decoupler=decoupler == "on", grid=int(grid))
            utility_model = disco.fit_utility(task, train, phase_budget)
        seconds = time.perf_counter() - start
        logits = predict_batched(utility_model, x_val, 250, "cpu")
        accuracy = (logits.argmax(1) == y_val).float().mean().item()
        print(f"{decoupler:<10} {grid:>4} {epochs:>6} {accuracy:9.3f} {seconds:8.0f}", flush=True)


if __name__ == "__main__":
    main()
