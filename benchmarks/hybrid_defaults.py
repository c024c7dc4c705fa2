"""How the hybrid attack's defaults were chosen: attacks with given parameters on the inner
validation split of an export's attack_train (never attack_test), trained on the rest of it;
prints each one's mean SSIM and standard error over the first N validation images.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/hybrid_defaults.py EXPORT N \\
           LABEL:ATTACK:JSON-PARAMS ...   (e.g. 'a1:hybrid:{"anchor_weight": 1}' dec:decoder:)
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

from privattack.activations import load_activations
from privattack.attacks import get
from privattack.metrics.functional import ssim
from privattack.run import RunContext
from privattack.tuning import inner_inputs


def main() -> None:
    folder, count, *variants = sys.argv[1:]
    n = int(count)
    prepared = load_activations(folder)
    base = prepared.attack_inputs("decoder", RunContext(seed=prepared.seed))
    inner, secret_val = inner_inputs(base)  # what tuning's trials see
    inner = dataclasses.replace(inner, budget=dataclasses.replace(base.budget, invert_images=n))
    truth = secret_val[:n]
    for spec in variants:
        label, attack, params = spec.split(":", 2)
        start = time.perf_counter()
        images = get(attack, **json.loads(params or "{}")).run(inner).images[:n]
        scores = ssim(images.clamp(0, 1), truth)
        print(
            f"{label:30s} ssim {scores.mean():.3f} +- {scores.std() / len(scores) ** 0.5:.3f}  "
            f"{time.perf_counter() - start:6.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
