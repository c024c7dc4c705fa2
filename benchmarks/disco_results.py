"""DISCO against the undefended split and random pruning, on real data (issue 5's table).

For each seed: the undefended split; DISCO with the decoupler off and on, trained once each and
steered to every R; random pruning trained at every R. Every point faces the same attacks with
the same budgets and seed (the suite's); with default parameters (``--trials 0``), the decoder
attack is also run in every family of ``--families`` on the same activations, and the table's
decoder column is the worst case over them (issue 7: a defense must not look private only
because the decoder has the wrong shape). Writes one report per point, ``points.jsonl`` (one
line per finished point, so a stopped run keeps what it finished and ``--only``/``--seeds``
resume it), a Markdown table with 95% intervals, and a privacy-utility plot, into --out.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/disco_results.py \
           --suite celeba_input --scale quick --seeds 0 1 --ratios 0.6 0.8 0.9
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import torch

import privattack
from privattack.evaluate import attack_data, input_leakage
from privattack.html import privacy_utility_png
from privattack.prepare import Prepared, derive_seed, prepare
from privattack.registry import attacks, defenses

CONFIGURATIONS: list[tuple[str, str, dict[str, object], bool]] = [
    # (label, defense, fixed parameters, swept over R)
    ("undefended split", "split", {}, False),
    ("DISCO, decoupler off", "disco", {"decoupler": False}, True),
    ("DISCO, decoupler on", "disco", {"decoupler": True}, True),
    ("random pruning", "pruning", {}, True),
]


def estimate(value: Any) -> dict[str, Any]:
    """An Estimate as plain JSON (mean and 95% interval)."""
    return {"mean": value.mean, "ci": list(value.ci)}


def family_leakage(
    prepared: Prepared, report: privattack.Report, families: list[str]
) -> dict[str, dict[str, Any]]:
    """Decoder SSIM/PSNR per family: the report's own decoder, plus each other family trained
    on the same attack_train activations and scored on the same attack_test images."""
    decoder = report.leakage["decoder"]
    found = {
        decoder.params["built"]: {"ssim": estimate(decoder.ssim), "psnr": estimate(decoder.psnr)}
    }
    data = attack_data(prepared, "decoder", "cpu", progress=False)
    for family in families:
        if family in found:
            continue
        result = attacks.get("decoder", family=family).run(data)
        leak = input_leakage(result, prepared.x["attack_test"], derive_seed(prepared.seed, "ci"))
        found[result.params["built"]] = {"ssim": estimate(leak.ssim), "psnr": estimate(leak.psnr)}
    return found


def point(
    label: str,
    prepared: Prepared,
    args: argparse.Namespace,
) -> tuple[dict[str, Any], privattack.Report]:
    """Attack one released point; its table line as JSON, and the report."""
    report = privattack.evaluate(prepared, attacks=args.attacks, trials=args.trials, progress=False)
    line: dict[str, Any] = {
        "label": label,
        "seed": prepared.seed,
        "ratio": report.defense["params"].get("ratio"),
        "utility": estimate(report.utility),
        "attacks": {
            name: {metric: estimate(value) for metric, value in leak.metrics.items()}
            for name, leak in report.leakage.items()
        },
    }
    if "decoder" in report.leakage and args.trials == 0:
        line["decoder_families"] = family_leakage(prepared, report, args.families)
    scores = {name: leak["ssim"]["mean"] for name, leak in line["attacks"].items()}
    for family, leak in line.get("decoder_families", {}).items():
        scores[f"decoder ({family})"] = leak["ssim"]["mean"]
    worst = max(scores, key=scores.__getitem__)
    line["worst"] = {"attack": worst, "ssim": scores[worst]}
    return line, report


def interval(value: dict[str, Any] | None) -> str:
    if value is None:
        return "-"
    return f"{value['mean']:.3f} [{value['ci'][0]:.3f}, {value['ci'][1]:.3f}]"


def table(lines: list[dict[str, Any]]) -> str:
    """The Markdown table of every finished point."""
    head = (
        "| defense | R | seed | utility | decoder SSIM (worst family) | decoder PSNR "
        "| SSIM per family | likelihood SSIM | likelihood PSNR | worst case (SSIM) |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [head]
    for line in lines:
        families = line.get("decoder_families") or {}
        if families:
            family = max(families, key=lambda f: families[f]["ssim"]["mean"])
            decoder = families[family]
            per_family = ", ".join(f"{f} {v['ssim']['mean']:.3f}" for f, v in families.items())
        else:
            family, decoder = None, line["attacks"].get("decoder")
            per_family = "-"
        likelihood = line["attacks"].get("likelihood", {})
        cells = [
            line["label"],
            "-" if line["ratio"] is None else str(line["ratio"]),
            str(line["seed"]),
            interval(line["utility"]),
            interval(decoder and decoder["ssim"]) + (f" ({family})" if family else ""),
            interval(decoder and decoder["psnr"]),
            per_family,
            interval(likelihood.get("ssim")),
            interval(likelihood.get("psnr")),
            f"{line['worst']['attack']} {line['worst']['ssim']:.3f}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def curves(lines: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """(worst-case SSIM, utility) per configuration and seed, for the plot."""
    found: dict[str, list[tuple[float, float]]] = {}
    for line in lines:
        label = f"{line['label']} (seed {line['seed']})"
        found.setdefault(label, []).append((line["worst"]["ssim"], line["utility"]["mean"]))
    return found


def configurations(ratios: list[float], only: list[str] | None):
    """(label, one defense per point) for the configurations asked for; a steerable defense is
    one object steered to every R, so it is trained once."""
    for label, name, fixed, swept in CONFIGURATIONS:
        if only and label not in only:
            continue
        if not swept:
            yield label, [defenses.get(name, **fixed)]
            continue
        first = defenses.get(name, ratio=ratios[0], **fixed)
        if "ratio" in getattr(first, "steerable", ()):
            yield label, [first] + [first.steer("ratio", r) for r in ratios[1:]]
        else:
            yield label, [first] + [defenses.get(name, ratio=r, **fixed) for r in ratios[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="celeba_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.6, 0.8, 0.9])
    parser.add_argument("--out", default="results/disco")
    parser.add_argument("--attacks", nargs="+", help="only these attacks (default: the suite's)")
    parser.add_argument("--only", nargs="+", help="only these configurations, by label")
    parser.add_argument("--families", nargs="+", default=["conv", "tiles", "fc"])
    parser.add_argument(
        "--trials", type=int, default=0, help="tuning trials per attack (0: default parameters)"
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = out / "points.jsonl"
    print(
        f"{args.suite} ({args.scale}); torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, {platform.processor() or platform.machine()}",
        flush=True,
    )
    for seed in args.seeds:
        for label, points in configurations(args.ratios, args.only):
            for defense in points:
                start = time.perf_counter()
                prepared = prepare(defense, args.suite, scale=args.scale, seed=seed, progress=False)
                line, report = point(label, prepared, args)
                line["seconds"] = round(time.perf_counter() - start, 1)
                decoupler = "on" if prepared.defense_info["params"].get("decoupler") else "off"
                report.save(out / f"{report.defense['name']}-{decoupler}-{line['ratio']}-{seed}")
                with summary.open("a") as handle:
                    handle.write(json.dumps(line) + "\n")
                print(f"seed {seed} {label} R={line['ratio']}: {line['seconds']:.0f} s", flush=True)
    lines = [json.loads(text) for text in summary.read_text().splitlines()]
    (out / "table.md").write_text(f"suite {args.suite}, scale {args.scale}\n\n{table(lines)}")
    (out / "privacy_utility.png").write_bytes(privacy_utility_png(curves(lines)))
    print(table(lines))


if __name__ == "__main__":
    main()
