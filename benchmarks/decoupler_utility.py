"""What DISCO's spatial decoupler costs in utility before any pruning: phase (i) alone
(pre-processing, client and server trained for the task, as DISCO trains them), with the
decoupler off and on, for several training lengths and grids.

Accuracy is measured on the suite's attack_train split (held out from training, and not the
test split, so that reading it to choose a recipe does not tune on attack_test).

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/decoupler_utility.py \
           --configs off:4:5 on:4:5 on:4:10 on:2:5
"""

from __future__ import annotations

import argparse
import time

import torch

from privattack.data import make_splits, open_dataset
from privattack.defenses.disco import Disco
from privattack.prepare import labelled_indices, resolve_suite, task_of
from privattack.protocol import LabelledImages, TrainingBudget
from privattack.training import predict_batched, seed_everything


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="celeba_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["off:4:5", "on:4:5", "on:4:10", "on:2:5"],
        help="decoupler (on/off) : grid d : phase-(i) epochs",
    )
    args = parser.parse_args()
    spec = resolve_suite(args.suite)
    budget = spec.budget(args.scale)
    size = budget.image_size
    dataset = open_dataset(spec.data.dataset)
    usable = labelled_indices(dataset, [spec.data.task])
    splits = make_splits(dataset.ids[usable], budget.splits, args.seed, None)
    index = {name: usable[splits.indices[name]] for name in ("defense_train", "attack_train")}
    task_labels = torch.from_numpy(dataset.label(spec.data.task))
    train = LabelledImages(
        dataset.images(index["defense_train"], size),
        {spec.data.task: task_labels[index["defense_train"]]},
    )
    x_val, y_val = dataset.images(index["attack_train"], size), task_labels[index["attack_train"]]
    task = task_of(spec, dataset, size)
    print(f"{args.suite} ({args.scale}), {len(train.images)} training and {len(x_val)} held-out")
    print(f"{'decoupler':<10} {'grid':>4} {'epochs':>6} {'accuracy':>9} {'seconds':>8}")
    for config in args.configs:
        decoupler, grid, epochs = config.split(":")
        disco = Disco(decoupler=decoupler == "on", grid=int(grid))
        seed_everything(args.seed)
        disco._build(size, task.num_classes)
        start = time.perf_counter()
        phase_budget = TrainingBudget(int(epochs), budget.batch_size, args.seed)
        disco._fit_utility(task, train, phase_budget)
        seconds = time.perf_counter() - start
        m = disco.modules.eval()
        utility_model = torch.nn.Sequential(m["pre"], m["body"], m["server"])
        logits = predict_batched(utility_model, x_val, 250, "cpu")
        accuracy = (logits.argmax(1) == y_val).float().mean().item()
        print(f"{decoupler:<10} {grid:>4} {epochs:>6} {accuracy:9.3f} {seconds:8.0f}", flush=True)


if __name__ == "__main__":
    main()
