"""Each decoder family against one defense: does the defense only look private because the
decoder has the wrong shape? DISCO with its decoupler on, by default.

The defense is fitted once; every family is then trained on the same attack_train
activations (default hyper-parameters otherwise) and scored on attack_test.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/decoder_families.py \
           [--suite celeba_input] [--scale quick] [--defense disco] \
           [--param decoupler=true --param ratio=0.8] [--families conv tiles fc] [--seed 0]
"""

from __future__ import annotations

import argparse
import ast
import platform
import time

import torch

from privattack.prepare import prepare
from privattack.registry import attacks, defenses
from privattack.run import RunContext
from privattack.scoring import score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="celeba_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--defense", default="disco")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--families", nargs="+", default=["conv", "tiles", "fc"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    params = {"decoupler": True, "ratio": 0.8} if args.defense == "disco" else {}
    for item in args.param:
        key, value = item.split("=", 1)
        params[key] = ast.literal_eval(value.capitalize() if value in ("true", "false") else value)

    start = time.perf_counter()
    prepared = prepare(
        defenses.get(args.defense, **params),
        args.suite,
        scale=args.scale,
        seed=args.seed,
        progress=False,
    )
    print(
        f"{args.defense} {params} on {args.suite} ({args.scale}), seed {args.seed}; defense "
        f"fitted and released in {time.perf_counter() - start:.0f} s; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}"
    )
    print(f"declared layout: {prepared.released.layout}")
    print(f"{'family':<8} {'decoder SSIM [95% CI]':<24} {'PSNR':>7} {'seconds':>8}")
    context = RunContext(args.seed)
    inputs = prepared.attack_inputs("decoder", context)
    for family in args.families:
        start = time.perf_counter()
        result = attacks.get("decoder", family=family).run(inputs)
        leak = score("decoder", [result], prepared, context)
        print(
            f"{family:<8} {leak.ssim.mean:.3f} [{leak.ssim.ci[0]:.3f}, {leak.ssim.ci[1]:.3f}]"
            f"     {leak.psnr.mean:>7.2f} {time.perf_counter() - start:>8.0f}"
        )


if __name__ == "__main__":
    main()
