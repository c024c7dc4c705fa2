"""The paper's comparisons on real data (issue 12): Tables 1-3, the noise experiment, the
privacy-utility curves of Figure 4 and client depth (Figure 3, reduced).

Every point is one defense on one suite and seed, evaluated by ``privattack.evaluate`` with the
same attacks, budgets and seed as every other point; with default attack parameters
(``--trials 0``) the decoder also runs in every family of ``--families`` on input suites and
the worst family counts. Each finished point is appended to ``points.jsonl`` in ``--out`` and
skipped on a rerun, so a stopped run resumes where it stopped; a point another experiment
already measured (same defense and parameters, suite, seed, scale, trials and families, such as
the noise levels the curves share with the noise experiment, or a point of ``--reuse``, another
run's ``points.jsonl`` such as ``disco_results.py``'s) is copied with its report, not run again,
and says where it came from. ``tables.md`` (our numbers beside the paper's) and the plots are
written from everything finished so far.

Usage: PRIVATTACK_DATA=../shared/data python benchmarks/reproduce.py --scale quick \
           --seeds 0 [--experiments table1 table2 table3 noise curves depth] [--suites ...] \
           [--defenses ...] [--trials 0]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

import privattack
from privattack.prepare import Prepared, prepare
from privattack.registry import attacks, defenses
from privattack.render import figure_png, plot_axes, privacy_utility_png, write_report
from privattack.run import RunContext
from privattack.scoring import score
from privattack.tuning import journal_storage

DISCO_R = 0.8  # DISCO's ratio where a table has one DISCO row (the paper does not say)
LAM = 1.0  # strength of the adversarial and max-entropy baselines in the tables
CUTS = ("stem", "layer1", "layer2", "layer3", "layer4")  # client depths, shallow to deep

# experiment -> [(label, defense, params, suite)]
EXPERIMENTS: dict[str, list[tuple[str, str, dict[str, Any], str]]] = {
    "table1": [
        (label, name, params, suite)
        for suite in ("fairface_attribute", "celeba_attribute", "cifar10_attribute")
        for label, name, params in (
            ("undefended", "split", {}),
            ("DISCO", "disco", {"ratio": DISCO_R}),
            ("max-entropy", "maxentropy", {"lam": LAM}),
            ("adversarial", "adversarial", {"lam": LAM}),
        )
    ],
    "table2": [
        ("undefended", "split", {}, "celeba_input"),
        ("adversarial", "adversarial", {"lam": LAM}, "celeba_input"),
        ("DISCO", "disco", {"ratio": DISCO_R}, "celeba_input"),
    ],
    "table3": [
        (label, name, params, suite)
        for suite in ("celeba_mouth", "celeba_nose")
        for label, name, params in (("undefended", "split", {}), ("DISCO", "disco", {}))
    ],
    "noise": [
        (f"noise sigma={s}", "noise", {"sigma": s}, "celeba_input") for s in (0.5, 1.0, 2.0, 4.0)
    ]
    + [
        (
            "noise mu=-1 sigma=400",
            "noise",
            {"mean": -1.0, "sigma": 400.0, "relative": False},
            "celeba_input",
        )
    ],
    "curves": [("undefended", "split", {}, "celeba_input")]
    + [
        (f"{name} {knob}={value}", name, {knob: value}, "celeba_input")
        for name, knob, values in (
            ("disco", "ratio", (0.6, 0.8, 0.9, 0.95)),
            ("pruning", "ratio", (0.6, 0.8, 0.9, 0.95)),
            ("adversarial", "lam", (0.1, 1.0, 10.0)),
            ("nopeek", "alpha", (1.0, 10.0, 100.0)),
            ("shredder", "lam", (0.1, 1.0, 10.0)),
            ("noise", "sigma", (0.5, 1.0, 2.0)),
        )
        for value in values
    ],
    "depth": [
        (f"{name} cut={cut}", name, {"cut": cut}, "celeba_input")
        for name in ("split", "disco")
        for cut in CUTS
    ],
}

# The paper's numbers (Singh et al. 2021): Table 1 (attribute accuracy, utility), Table 2
# (likelihood SSIM, PSNR, utility %), Table 3 (attribute accuracy, utility).
PAPER: dict[tuple[str, str, str], tuple[float, ...]] = {
    ("table1", "undefended", "fairface_attribute"): (0.319, 0.824),
    ("table1", "DISCO", "fairface_attribute"): (0.190, 0.815),
    ("table1", "max-entropy", "fairface_attribute"): (0.236, 0.802),
    ("table1", "adversarial", "fairface_attribute"): (0.193, 0.815),
    ("table1", "undefended", "celeba_attribute"): (0.729, 0.916),
    ("table1", "DISCO", "celeba_attribute"): (0.612, 0.910),
    ("table1", "max-entropy", "celeba_attribute"): (0.780, 0.880),
    ("table1", "adversarial", "celeba_attribute"): (0.675, 0.905),
    ("table1", "undefended", "cifar10_attribute"): (0.912, 0.498),
    ("table1", "DISCO", "cifar10_attribute"): (0.223, 0.9198),
    ("table1", "max-entropy", "cifar10_attribute"): (0.358, 0.915),
    ("table1", "adversarial", "cifar10_attribute"): (0.526, 0.924),
    ("table2", "undefended", "celeba_input"): (0.88, 31.58, 97.35),
    ("table2", "adversarial", "celeba_input"): (0.68, 20.49, 97.15),
    ("table2", "DISCO", "celeba_input"): (0.38, 11.61, 95.66),
    ("table3", "undefended", "celeba_mouth"): (0.814, 0.893),
    ("table3", "DISCO", "celeba_mouth"): (0.783, 0.907),
    ("table3", "undefended", "celeba_nose"): (0.616, 0.896),
    ("table3", "DISCO", "celeba_nose"): (0.559, 0.893),
}
PAPER_COLUMNS = {
    "table1": "paper: attribute accuracy, utility",
    "table2": "paper (likelihood): SSIM, PSNR, utility %",
    "table3": "paper: attribute accuracy, utility",
}


def estimate(value: Any) -> dict[str, Any]:
    """An Estimate as plain JSON (mean and 95% interval)."""
    return {"mean": value.mean, "ci": list(value.ci)}


def family_leakage(
    prepared: Prepared, report: privattack.Report, families: list[str]
) -> dict[str, dict[str, Any]]:
    """Decoder metrics per family at default parameters: the report's own decoder (when it was
    not tuned), plus each other family trained on the same attack_train activations and scored
    on the same attack_test images."""
    decoder = report.leakage["decoder"]
    found = {} if decoder.tuning else {decoder.params["built"]: with_failure(decoder)}
    context = RunContext(prepared.seed)
    inputs = prepared.attack_inputs("decoder", context)
    for family in families:
        if family in found:
            continue
        result = attacks.get("decoder", family=family).run(inputs)
        leak = score("decoder", [result], prepared, context)
        found[result.params["built"]] = with_failure(leak)
    return found


def with_failure(leak: Any) -> dict[str, Any]:
    """``image_estimates``, and ``failed`` (why) when the attack did not learn."""
    return {**image_estimates(leak), **({"failed": leak.failed} if leak.failed else {})}


def image_estimates(leak: Any) -> dict[str, dict[str, Any]]:
    """A reconstruction attack's every metric (SSIM, PSNR, L1, identity) as plain JSON."""
    return {name: estimate(value) for name, value in leak.metrics.items()}


def attack_point(
    prepared: Prepared,
    attack_names: list[str] | None,
    trials: int,
    families: list[str],
    journal: Path | None = None,
    progress: bool = False,
) -> tuple[dict[str, Any], privattack.Report]:
    """Evaluate one released point: its JSON line (utility, every attack's metrics, the
    decoder per family, the worst case over those that learned, and why the others failed)
    and its report. When every attack failed, the worst case's value is NaN: nothing was
    measured, which is no privacy. With ``trials`` and a ``journal`` file, each attack's study
    is kept there, so a point stopped while tuning resumes from its finished trials; with
    ``progress``, Optuna logs each tuning trial to stderr as it finishes."""
    stored: dict[str, Any] = {}
    if trials and journal is not None:
        journal.parent.mkdir(parents=True, exist_ok=True)
        stored = {"storage": journal_storage(journal), "study": "point"}
    report = privattack.evaluate_activations(
        prepared, attacks=attack_names, trials=trials, progress=progress, **stored
    )
    worst = report.worst_case
    line: dict[str, Any] = {
        "seed": prepared.seed,
        "suite": report.suite,
        "defense": report.defense,
        "utility": estimate(report.utility),
        "null": report.null,
        "attacks": {
            name: {metric: estimate(value) for metric, value in leak.metrics.items()}
            for name, leak in report.leakage.items()
        },
        "worst": {
            "attack": "every attack failed" if worst is None else worst.attack,
            "metric": "ssim" if worst is None else worst.metric,
            "value": float("nan") if worst is None else worst.value,
        },
        "failed": {name: leak.failed for name, leak in report.leakage.items() if leak.failed},
    }
    tuned = {name: leak for name, leak in report.leakage.items() if leak.tuning}
    if tuned:  # the defaults' scores on the same test images, and what tuning chose
        line["defaults"] = {
            name: {metric: estimate(value) for metric, value in leak.default.items()}
            for name, leak in tuned.items()
        }
        line["tuned"] = {name: leak.tuning.best_params for name, leak in tuned.items()}
    if "decoder" in report.leakage and families:
        line["decoder_families"] = family_leakage(prepared, report, families)
        for family, leak in line["decoder_families"].items():
            if "failed" in leak:
                line["failed"][f"decoder ({family})"] = leak.pop("failed")
                continue
            value = line["worst"]["value"]
            if math.isnan(value) or leak["ssim"]["mean"] > value:
                line["worst"] = {
                    "attack": f"decoder ({family})",
                    "metric": "ssim",
                    "value": leak["ssim"]["mean"],
                }
    return line, report


def interval(value: dict[str, Any] | None) -> str:
    if value is None:
        return "-"
    return f"{value['mean']:.3f} [{value['ci'][0]:.3f}, {value['ci'][1]:.3f}]"


def decoders(line: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Family -> metrics of each decoder trained at this point: every family at default
    parameters and, at a tuned point, the tuned decoder (family "tuned"); empty when the
    families were not run."""
    found = dict(line.get("decoder_families") or {})
    if found and "decoder" in line.get("tuned", {}):
        found["tuned"] = line["attacks"]["decoder"]
    return found


def worst_decoder(line: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """(family, metrics) of the decoder that reconstructed best at this point (``decoders``)."""
    found = decoders(line)
    if not found:
        return None, line["attacks"].get("decoder")
    family = max(found, key=lambda f: found[f]["ssim"]["mean"])
    return family, found[family]


def input_cells(line: dict[str, Any]) -> list[str]:
    """Utility, the worst decoder family's SSIM, PSNR and L1, SSIM per family, the likelihood
    attack's SSIM, PSNR and L1, the worst case. (Points measured before the decoder families'
    L1 was recorded show it only where the worst family is the report's own decoder.)"""
    family, decoder = worst_decoder(line)
    families = line.get("decoder_families") or {}
    likelihood = line["attacks"].get("likelihood", {})
    return [
        interval(line["utility"]),
        interval(decoder and decoder["ssim"]) + (f" ({family})" if family else ""),
        interval(decoder and decoder["psnr"]),
        interval(decoder and decoder.get("l1")),
        ", ".join(f"{f} {v['ssim']['mean']:.3f}" for f, v in families.items()) or "-",
        interval(likelihood.get("ssim")),
        interval(likelihood.get("psnr")),
        interval(likelihood.get("l1")),
        f"{line['worst']['attack']} {line['worst']['value']:.3f}",
    ]


INPUT_HEAD = [
    "utility",
    "decoder SSIM (worst family)",
    "decoder PSNR",
    "decoder L1",
    "SSIM per family",
    "likelihood SSIM",
    "likelihood PSNR",
    "likelihood L1",
    "worst case (SSIM)",
]


def attribute_cells(line: dict[str, Any]) -> list[str]:
    """Utility, the attribute attack's accuracy and balanced accuracy, the majority class."""
    attack = line["attacks"].get("attribute", {})
    return [
        interval(line["utility"]),
        interval(attack.get("accuracy")),
        interval(attack.get("balanced_accuracy")),
        f"{line['null'].get('accuracy', float('nan')):.3f}",
    ]


ATTRIBUTE_HEAD = ["utility", "attribute accuracy", "balanced accuracy", "majority class"]


def markdown(experiment: str, lines: list[dict[str, Any]]) -> str:
    """One experiment's table, rows in the order they finished."""
    attribute = any("attribute" in line["attacks"] for line in lines)
    head = ["defense", "suite", "seed", *(ATTRIBUTE_HEAD if attribute else INPUT_HEAD)]
    paper = PAPER_COLUMNS.get(experiment)
    if paper:
        head.append(paper)
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for line in lines:
        cells = [line["label"], line["suite"], str(line["seed"])]
        cells += attribute_cells(line) if attribute else input_cells(line)
        if paper:
            numbers = PAPER.get((experiment, line["label"], line["suite"]))
            cells.append(", ".join(f"{n:g}" for n in numbers) if numbers else "-")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def curves(lines: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """(worst-case leakage, utility) per defense and seed."""
    return {
        label: [(line["worst"]["value"], line["utility"]["mean"]) for line in mine]
        for label, mine in _by_defense(lines).items()
    }


def depth_png(lines: list[dict[str, Any]]) -> bytes:
    """Worst-case SSIM against the client's cut, one line per defense and seed, each point
    labelled with its utility (the paper's Figure 3 as numbers), as PNG bytes."""

    def depth(line: dict[str, Any]) -> int:
        return CUTS.index(line["defense"]["params"]["cut"])

    figure, axis = plot_axes()
    for label, mine in _by_defense(lines).items():
        ordered = sorted(mine, key=depth)
        x, y = [depth(line) for line in ordered], [line["worst"]["value"] for line in ordered]
        axis.plot(x, y, "o-", label=label)
        for at, leak, line in zip(x, y, ordered, strict=True):
            axis.annotate(
                f"{line['utility']['mean']:.1%}",
                (at, leak),
                fontsize=7,
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
            )
    baseline = lines[0]["null"].get("ssim")  # every depth point runs on celeba_input
    if baseline is not None:
        axis.axhline(baseline, color="grey", linestyle="--", label="mean image (null)")
    axis.set_xticks(range(len(CUTS)), CUTS)
    axis.set_xlabel("client cut after (utility above each point)")
    axis.set_ylabel("worst-case ssim (lower is more private)")
    axis.legend(fontsize=8)
    return figure_png(figure)


def _by_defense(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The points of each defense and seed, under a legend label."""
    found: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        found.setdefault(f"{line['defense']['name']} (seed {line['seed']})", []).append(line)
    return found


class Defenses:
    """Builds each point's defense; a steerable one (DISCO's ratio) is trained once per suite
    and seed and steered to every value, as ``privattack.sweep`` does."""

    def __init__(self) -> None:
        self.fitted: dict[tuple[str, str, str, int], Any] = {}

    def get(self, name: str, params: dict[str, Any], suite: str, seed: int) -> tuple[Any, Any]:
        """(the defense for this point, a key under which to keep it once fitted, or None)."""
        built = defenses.get(name, **params)
        steerable = [k for k in getattr(built, "steerable", ()) if k in params]
        if not steerable:
            return built, None
        fixed = {k: v for k, v in params.items() if k not in steerable}
        key = (name, json.dumps(fixed, sort_keys=True), suite, seed)
        if key in self.fitted:
            base = self.fitted[key]
            for knob in steerable:
                base = base.steer(**{knob: params[knob]})
            return base, None
        return built, key


def finished(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(text) for text in path.read_text().splitlines() if text.strip()]


def measurement(line: dict[str, Any]) -> str:
    """What a point measured, whatever experiment and label it was run under: two points with
    the same measurement are the same computation (fits and attacks are seeded)."""
    keys = ("suite", "seed", "scale", "trials", "families")
    defense = [line["defense"]["name"], line["defense"]["params"]]
    return json.dumps(defense + [line[k] for k in keys])


def report_folder(out: Path, line: dict[str, Any]) -> Path:
    """Where a point's report is saved: one folder per experiment, named after suite, label and
    seed."""
    slug = "".join(c if c.isalnum() or c in ".=-" else "_" for c in line["label"])
    return out / line["experiment"] / f"{line['suite']}-{slug}-{line['seed']}"


def points(names: list[str], seeds: list[int]) -> Iterator[tuple[str, str, str, dict, str, int]]:
    for seed in seeds:
        for experiment in names:
            for label, name, params, suite in EXPERIMENTS[experiment]:
                yield experiment, label, name, params, suite, seed


def write_outputs(out: Path, lines: list[dict[str, Any]]) -> str:
    """tables.md and the plots from every finished point; returns the tables."""
    text = []
    for experiment in EXPERIMENTS:
        mine = [line for line in lines if line["experiment"] == experiment]
        if mine:
            text.append(f"## {experiment}\n\n{markdown(experiment, mine)}")
            if experiment in ("curves", "noise"):
                (out / f"{experiment}.png").write_bytes(privacy_utility_png(curves(mine)))
            elif experiment == "depth":
                (out / "depth.png").write_bytes(depth_png(mine))
    (out / "tables.md").write_text("\n".join(text))
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS))
    parser.add_argument("--suites", nargs="+", help="only the points on these suites")
    parser.add_argument("--defenses", nargs="+", help="only the points of these defenses")
    parser.add_argument(
        "--reuse", nargs="+", default=[], help="other runs' points.jsonl whose points to copy"
    )
    parser.add_argument("--families", nargs="+", default=["conv", "tiles", "fc"])
    parser.add_argument(
        "--trials", type=int, default=0, help="tuning trials per attack (0: default parameters)"
    )
    parser.add_argument("--out", default="results/reproduce")
    parser.add_argument(
        "--quiet", action="store_true", help="no log of each tuning trial on stderr"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.experiments) - set(EXPERIMENTS))
    if unknown:
        parser.error(f"unknown experiments {unknown}; choose from {sorted(EXPERIMENTS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = out / "points.jsonl"
    done = {
        (line["experiment"], line["label"], line["suite"], line["seed"], line["scale"])
        for line in finished(summary)
    }
    print(
        f"scale {args.scale}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}",
        flush=True,
    )
    measured = {
        measurement(line): line for path in [summary, *args.reuse] for line in finished(Path(path))
    }
    builder = Defenses()
    for experiment, label, name, params, suite, seed in points(args.experiments, args.seeds):
        if (
            (experiment, label, suite, seed, args.scale) in done
            or (args.suites and suite not in args.suites)
            or (args.defenses and name not in args.defenses)
        ):
            continue
        start = time.perf_counter()
        defense, keep_as = builder.get(name, params, suite, seed)
        here = {"experiment": experiment, "label": label, "suite": suite, "seed": seed}
        here.update(scale=args.scale, trials=args.trials, families=args.families)
        here["report"] = str(report_folder(out, here))
        planned = {**here, "defense": {"name": name, "params": defense.params}}
        same = measured.get(measurement(planned))
        if same is not None:
            line = {**same, **here, "copied_from": same["report"]}
            shutil.copytree(same["report"], line["report"], dirs_exist_ok=True)
        else:
            prepared = prepare(defense, suite, scale=args.scale, seed=seed, progress=False)
            if keep_as is not None:
                builder.fitted[keep_as] = defense
            journal = out / "studies" / f"{report_folder(Path(), here)}.log"
            line, report = attack_point(
                prepared, None, args.trials, args.families, journal, not args.quiet
            )
            line.update(here, seconds=round(time.perf_counter() - start, 1))
            write_report(report, line["report"])
            measured[measurement(line)] = line
        with summary.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        done.add((experiment, label, suite, seed, args.scale))
        how = f"copied from {same['report']}" if same is not None else f"{line['seconds']:.0f} s"
        print(f"{experiment}: {label} on {suite}, seed {seed}: {how}", flush=True)
    print(write_outputs(out, [x for x in finished(summary) if x["scale"] == args.scale]))


if __name__ == "__main__":
    main()
