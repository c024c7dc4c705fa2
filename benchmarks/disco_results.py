"""DISCO against the undefended split and random pruning, on real data (issue 5's table).

For each seed: the undefended split; DISCO with the decoupler off and on, trained once each and
steered to every R; random pruning trained at every R. Every point faces the same attacks with
the same budgets, trials and seed (the suite's); the decoder attack is also run at default
parameters in every family of ``--families`` on the same activations, and the table's decoder
column is the worst case over them and, with ``--trials``, the tuned decoder (issue 7: a defense
must not look private only because the decoder has the wrong shape). Writes one report per
point, ``points.jsonl`` (one line per finished point; a rerun skips the points already there, so
a stopped run resumes, and with ``--trials`` each point keeps its tuning studies in
``studies/POINT.log``, so a point stopped while tuning resumes from its finished trials),
Markdown tables (every point with 95% intervals; each configuration across seeds; identity:
re-identification by the face model, attributes kept and image identifiability per attack) and a
privacy-utility plot (each point the mean over seeds), into --out.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/disco_results.py \
           --suite celeba_input --scale quick --seeds 0 1 --ratios 0.6 0.8 0.9
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

import torch
from reproduce import (
    INPUT_HEAD,
    Defenses,
    attack_point,
    decoders,
    finished,
    input_cells,
    interval,
    worst_decoder,
)

from privattack.prepare import prepare
from privattack.render import privacy_utility_png, write_report

CONFIGURATIONS: list[tuple[str, str, dict[str, object], bool]] = [
    # (label, defense, fixed parameters, swept over R)
    ("undefended split", "split", {}, False),
    ("DISCO, decoupler off", "disco", {"decoupler": False}, True),
    ("DISCO, decoupler on", "disco", {"decoupler": True}, True),
    ("random pruning", "pruning", {}, True),
]


def table(lines: list[dict[str, Any]]) -> str:
    """The Markdown table of every finished point."""
    head = ["defense", "R", "seed", *INPUT_HEAD]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for line in lines:
        ratio = line["defense"]["params"].get("ratio", "-")
        cells = [line["label"], str(ratio), str(line["seed"]), *input_cells(line)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def _learned(line: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each reconstruction attack that did not fail at this point, decoder families apart (at a
    tuned point, the tuned decoder beside them)."""
    failed = line.get("failed", {})
    found = {f"decoder ({family})": v for family, v in decoders(line).items()}
    found.update({a: v for a, v in line["attacks"].items() if a != "decoder" or not found})
    return {attack: v for attack, v in found.items() if attack not in failed}


def _most(found: dict[str, dict[str, Any]], name: str) -> str:
    """The interval of the attack in ``found`` with the highest ``name``, and which it is."""
    scored = [(attack, v[name]) for attack, v in found.items() if name in v]
    if not scored:
        return "-"
    attack, value = max(scored, key=lambda item: item[1]["mean"])
    return f"{interval(value)} ({attack})"


def identity_table(lines: list[dict[str, Any]]) -> str:
    """Per point measured with identity: utility, the worst case SSIM, re-identification by
    the face model (the decoder's best family, the likelihood attack, the attack that
    re-identifies most), the share of the attribute reader's advantage the decoder's
    reconstructions keep (its family that keeps most), image identifiability (the attack that
    identifies most) and the attacks that failed; chance below."""
    head = [
        "defense", "R", "seed", "utility", "worst case SSIM",
        "decoder re-id top-1 (best family)", "decoder re-id top-5 (best family)",
        "decoder attributes kept (most)", "likelihood re-id top-1", "likelihood re-id top-5",
        "re-id top-1 (most, any attack)",
        "image identifiability top-1 (most)", "failed (no better than the mean image)",
    ]  # fmt: skip
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    measured = [line for line in lines if "iip_top1" in line["null"]]
    for line in measured:
        learned = _learned(line)
        decoders = {a: v for a, v in learned.items() if a.startswith("decoder")}
        worst = line["worst"]
        failed = line.get("failed", {})
        likelihood = line["attacks"].get("likelihood", {})
        note = " (failed)" if "likelihood" in failed else ""
        rows.append(
            "| "
            + " | ".join(
                [
                    line["label"],
                    str(line["defense"]["params"].get("ratio", "-")),
                    str(line["seed"]),
                    f"{line['utility']['mean']:.1%}",
                    "every attack failed"
                    if math.isnan(worst["value"])
                    else f"{worst['value']:.3f} ({worst['attack']})",
                    _most(decoders, "reid_top1"),
                    _most(decoders, "reid_top5"),
                    _most(decoders, "attributes_kept"),
                    interval(likelihood.get("reid_top1")) + note,
                    interval(likelihood.get("reid_top5")) + note,
                    _most(learned, "reid_top1"),
                    _most(learned, "iip_top1"),
                    ", ".join(failed) or "-",
                ]
            )
            + " |"
        )
    if measured:
        null = measured[-1]["null"]
        rows.append(
            f"\nChance: re-identification top-1 {null['reid_top1']:.3f}, top-5 "
            f"{null['reid_top5']:.3f}, identifiability top-1 {null['iip_top1']:.3f}; the mean "
            f"training image's SSIM {null['ssim']:.3f}."
        )
    return "\n".join(rows) + "\n"


def _default_worst(line: dict[str, Any]) -> tuple[str, float]:
    """The largest SSIM of an attack at its default parameters (the decoder in every family)
    among those that learned at this point."""
    failed = line.get("failed", {})
    found = {
        attack: line.get("defaults", {}).get(attack, metrics)["ssim"]["mean"]
        for attack, metrics in line["attacks"].items()
        if attack not in failed and "ssim" in metrics
    }
    for family, metrics in (line.get("decoder_families") or {}).items():
        if f"decoder ({family})" not in failed:
            found[f"decoder ({family})"] = metrics["ssim"]["mean"]
    attack = max(found, key=found.__getitem__)
    return attack, found[attack]


def tuned_table(lines: list[dict[str, Any]]) -> str:
    """Per tuned point: utility, the worst case with every attack tuned beside the worst case at
    default parameters, and each attack's SSIM tuned (default)."""
    names = ("decoder", "likelihood", "inversion", "hybrid")
    head = ["defense", "R", "seed", "utility", "worst case, tuned", "worst case, defaults"]
    head += [f"{name} SSIM tuned (default)" for name in names]
    head += ["decoder per family (defaults)", "failed"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for line in (line for line in lines if line.get("tuned")):
        worst, (default_attack, default_value) = line["worst"], _default_worst(line)
        cells = [
            line["label"],
            str(line["defense"]["params"].get("ratio", "-")),
            str(line["seed"]),
            f"{line['utility']['mean']:.3f}",
            f"**{worst['value']:.3f}** ({worst['attack']})",
            f"{default_value:.3f} ({default_attack})",
        ]
        for name in names:
            tuned = line["attacks"].get(name, {}).get("ssim")
            default = line.get("defaults", {}).get(name, {}).get("ssim", tuned)
            cells.append("-" if tuned is None else f"{tuned['mean']:.3f} ({default['mean']:.3f})")
        families = line.get("decoder_families") or {}
        cells.append(", ".join(f"{f} {v['ssim']['mean']:.3f}" for f, v in families.items()) or "-")
        cells.append(", ".join(line.get("failed", {})) or "-")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def by_configuration(lines: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The finished points of each (configuration, R), in seed order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for line in sorted(lines, key=lambda line: line["seed"]):
        ratio = str(line["defense"]["params"].get("ratio", "-"))
        groups.setdefault((line["label"], ratio), []).append(line)
    return groups


def mean_curves(lines: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """(worst-case SSIM, utility) per configuration and R, each the mean over seeds."""
    found: dict[str, list[tuple[float, float]]] = {}
    for (label, _), mine in by_configuration(lines).items():
        seeds = ", ".join(str(line["seed"]) for line in mine)
        worst = sum(line["worst"]["value"] for line in mine) / len(mine)
        utility = sum(line["utility"]["mean"] for line in mine) / len(mine)
        found.setdefault(f"{label} (mean of seeds {seeds})", []).append((worst, utility))
    return found


def _ssim(metrics: dict[str, Any] | None) -> float | None:
    return None if metrics is None else metrics["ssim"]["mean"]


def across_seeds(lines: list[dict[str, Any]]) -> str:
    """One row per configuration and R: each seed's value and their mean, per column ("-"
    where a seed did not run that attack: ``--attacks``)."""
    columns = {
        "utility": lambda line: line["utility"]["mean"],
        "decoder SSIM (worst family)": lambda line: _ssim(worst_decoder(line)[1]),
        "likelihood SSIM": lambda line: _ssim(line["attacks"].get("likelihood")),
        "worst case (SSIM)": lambda line: line["worst"]["value"],
    }
    head = ["defense", "R", "seeds", *(f"{c}: per seed (mean)" for c in columns)]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (label, ratio), mine in by_configuration(lines).items():
        cells = [label, ratio, ", ".join(str(line["seed"]) for line in mine)]
        for value in columns.values():
            values = [value(line) for line in mine]
            if None in values:
                cells.append("-")
                continue
            each = " / ".join(f"{v:.3f}" for v in values)
            cells.append(f"{each} ({sum(values) / len(values):.3f})")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


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
    parser.add_argument(
        "--quiet", action="store_true", help="no log of each tuning trial on stderr"
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
    done = {
        (line["label"], line["defense"]["params"].get("ratio"), line["seed"])
        for line in finished(summary)
        if line["suite"] == args.suite
    }
    builder = Defenses()
    for seed in args.seeds:
        for label, name, fixed, swept in CONFIGURATIONS:
            if args.only and label not in args.only:
                continue
            for ratio in args.ratios if swept else [None]:
                if (label, ratio, seed) in done:
                    continue
                params = dict(fixed) if ratio is None else {**fixed, "ratio": ratio}
                start = time.perf_counter()
                defense, keep_as = builder.get(name, params, args.suite, seed)
                prepared = prepare(defense, args.suite, scale=args.scale, seed=seed, progress=False)
                if keep_as is not None:
                    builder.fitted[keep_as] = defense
                decoupler = "on" if params.get("decoupler") else "off"
                point = f"{name}-{decoupler}-{ratio or 'none'}-{seed}"
                journal = out / "studies" / f"{point}.log"
                line, report = attack_point(
                    prepared, args.attacks, args.trials, args.families, journal, not args.quiet
                )
                line.update(label=label, scale=args.scale, trials=args.trials)
                line.update(families=args.families, seconds=round(time.perf_counter() - start, 1))
                line["report"] = str(out / point)
                write_report(report, line["report"])
                with summary.open("a") as handle:
                    handle.write(json.dumps(line) + "\n")
                print(f"seed {seed} {label} R={ratio}: {line['seconds']:.0f} s", flush=True)
    lines = finished(summary)
    tables = f"{table(lines)}\nAcross seeds:\n\n{across_seeds(lines)}"
    if any(line.get("tuned") for line in lines):
        tables += f"\nTuned (defaults in brackets):\n\n{tuned_table(lines)}"
    tables += f"\nIdentity:\n\n{identity_table(lines)}"
    (out / "table.md").write_text(f"suite {args.suite}, scale {args.scale}\n\n{tables}")
    (out / "privacy_utility.png").write_bytes(privacy_utility_png(mean_curves(lines)))
    print(tables)


if __name__ == "__main__":
    main()
