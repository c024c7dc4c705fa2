"""DISCO against the undefended split and random pruning, on real data (issue 5's table).

For each seed: the undefended split; DISCO with the decoupler off and on, trained once each and
steered to every R; random pruning trained at every R. Every point faces the same attacks with
the same budgets and seed (the suite's). Writes one report per point, a Markdown table with
95% intervals, and a privacy-utility plot, into --out; results are appended as they come, so
a long run that is stopped keeps what it finished.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/disco_results.py \
           --suite celeba_input --scale quick --seeds 0 1 --ratios 0.6 0.8 0.9
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import privattack


def points(ratios: list[float]) -> list[tuple[str, str, dict[str, object], list[float] | None]]:
    """(label, defense, fixed params, swept ratios or None) for every configuration."""
    return [
        ("undefended split", "split", {}, None),
        ("DISCO, decoupler off", "disco", {"decoupler": False}, ratios),
        ("DISCO, decoupler on", "disco", {"decoupler": True}, ratios),
        ("random pruning", "pruning", {}, ratios),
    ]


def cell(leakage: dict, attack: str, metric: str) -> str:
    if attack not in leakage:
        return "-"
    value = leakage[attack][metric]
    return f"{value['mean']:.3f} [{value['ci'][0]:.3f}, {value['ci'][1]:.3f}]"


def row(label: str, report: privattack.Report) -> str:
    data = report.to_dict()
    ratio = data["defense"]["params"].get("ratio", "-")
    utility = data["utility"]["accuracy"]
    cells = [
        label,
        str(ratio),
        str(data["seed"]),
        f"{utility['mean']:.3f} [{utility['ci'][0]:.3f}, {utility['ci'][1]:.3f}]",
    ]
    for attack in ("decoder", "likelihood"):
        cells += [cell(data["leakage"], attack, "ssim"), cell(data["leakage"], attack, "psnr")]
    worst = data["worst_case"]
    cells.append(f"{worst['attack']} {worst['value']:.3f}")
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| defense | R | seed | utility | decoder SSIM | decoder PSNR | likelihood SSIM "
    "| likelihood PSNR | worst case (SSIM) |\n|---|---|---|---|---|---|---|---|---|"
)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for label in dict.fromkeys(r["label"] for r in rows):
        mine = sorted((r for r in rows if r["label"] == label), key=lambda r: r["ssim"])
        axis.plot([r["ssim"] for r in mine], [r["utility"] for r in mine], "o-", label=label)
    axis.set_xlabel("worst-case reconstruction SSIM (lower is more private)")
    axis.set_ylabel("task accuracy")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", default="celeba_input")
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.6, 0.8, 0.9])
    parser.add_argument("--out", default="results/disco")
    parser.add_argument("--attacks", nargs="+", help="only these attacks (default: the suite's)")
    parser.add_argument("--only", nargs="+", help="only these configurations, by label")
    parser.add_argument(
        "--trials", type=int, default=0, help="tuning trials per attack (0: default parameters)"
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table, summary = out / "table.md", out / "points.jsonl"
    if not table.exists():
        table.write_text(f"suite {args.suite}, scale {args.scale}\n\n{HEADER}\n")
    for seed in args.seeds:
        for label, name, fixed, ratios in points(args.ratios):
            if args.only and label not in args.only:
                continue
            start = time.perf_counter()
            common = {
                "scale": args.scale,
                "seed": seed,
                "trials": args.trials,
                "progress": False,
                "attacks": args.attacks,
            }
            if ratios is None:
                reports = [
                    privattack.evaluate(
                        privattack.defenses.get(name, **fixed), args.suite, **common
                    )
                ]
            else:
                reports = privattack.sweep(
                    lambda ratio, name=name, fixed=fixed: privattack.defenses.get(
                        name, ratio=ratio, **fixed
                    ),
                    args.suite,
                    "ratio",
                    args.ratios,
                    **common,
                )
            for report in reports:
                ratio = report.defense["params"].get("ratio", "none")
                folder = out / f"{name}-{'on' if fixed.get('decoupler') else 'off'}-{ratio}-{seed}"
                report.save(folder)
                with table.open("a") as handle:
                    handle.write(row(label, report) + "\n")
                with summary.open("a") as handle:
                    handle.write(
                        json.dumps(
                            {
                                "label": label,
                                "seed": seed,
                                "ratio": ratio,
                                "utility": report.utility.mean,
                                "ssim": report.worst_case.value,
                            }
                        )
                        + "\n"
                    )
            print(f"seed {seed} {label}: {time.perf_counter() - start:.0f} s", flush=True)
    rows = [json.loads(line) for line in summary.read_text().splitlines()]
    plot(rows, out / "privacy_utility.png")
    print(table.read_text())


if __name__ == "__main__":
    main()
