"""Rough time estimates of an evaluation's phases, for its header and progress lines.

The rates are CPU throughputs measured on this project's two-core machine (``benchmarks/
speed.py``); a faster machine or a GPU finishes sooner. They say "about a minute", not "61 s".
"""

from __future__ import annotations

from collections.abc import Sequence

from privattack.suites import Budget

FIT_IMAGES_PER_SECOND = {"disco": 40.0, "split": 90.0}  # ResNet-18 training, one epoch-image
OTHER_FIT_IMAGES_PER_SECOND = 70.0
DECODER_PIXELS_PER_SECOND = 330.0 * 32 * 32  # decoder training: image-epochs x pixels
SEARCH_SECONDS_PER_PIXEL_STEP = {
    "likelihood": 3.5e-3 / 32 / 32,
    "inversion": 1.7e-3 / 32 / 32,
    "hybrid": 1.7e-3 / 32 / 32,  # its pixel search; its decoder is the decoder attack's
}
TRIAL_SHARE = 0.8  # a tuning trial costs about this much of a run (some are pruned)
# With patience a supervised attack trains on four fifths of attack_train and stops at about
# two thirds of its cap (CelebA quick, patience 10: 98 and 65 of 150 epochs)
EARLY_STOPPING_SHARE = 0.8 * 2 / 3


def attack_seconds(attack: str, budget: Budget) -> float:
    """About how long one run of ``attack`` takes at ``budget``."""
    pixels = budget.image_size**2
    if attack in SEARCH_SECONDS_PER_PIXEL_STEP:
        images = budget.invert_images or budget.splits.attack_test
        return SEARCH_SECONDS_PER_PIXEL_STEP[attack] * pixels * budget.iterations * images
    epochs = budget.attack_epochs * (EARLY_STOPPING_SHARE if budget.attack_patience else 1)
    return epochs * budget.splits.attack_train * pixels / DECODER_PIXELS_PER_SECOND


def plan(
    budget: Budget,
    defense: str,
    fits: bool,
    attacks: Sequence[str],
    trials: int,
    defense_fits: int = 1,
) -> dict[str, float]:
    """Phase name -> about how many seconds it takes, in the order the phases run
    (``defense_fits``: how many times the defense is fitted, with refit)."""
    phases: dict[str, float] = {}
    if fits:
        rate = FIT_IMAGES_PER_SECOND.get(defense, OTHER_FIT_IMAGES_PER_SECOND)
        epochs = budget.defense_epochs * defense_fits
        phases["fit"] = epochs * budget.splits.defense_train / rate
    phases["release"] = 0.002 * (budget.splits.attack_train + budget.splits.attack_test)
    phases["utility"] = 1.0
    for attack in attacks:
        once = attack_seconds(attack, budget)
        phases[f"attack:{attack}"] = once
        if trials:
            phases[f"tune:{attack}"] = trials * once * TRIAL_SHARE + once
    return phases
