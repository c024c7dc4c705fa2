"""UTKFace: the official aligned crops named ``age_gender_race_date.jpg.chip.jpg``, or packs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from privattack.data.images import FileSource, ImageSet
from privattack.data.packs import PackLabels, string_list

GENDER_NAMES = ["Male", "Female"]
RACE_NAMES = ["White", "Black", "Asian", "Indian", "Others"]
OFFICIAL_FILES = "UTKFace/ (or the folder itself) with files age_gender_race_date.jpg.chip.jpg"
HOW_TO_GET = "the UTKFace aligned-and-cropped release (susanqq.github.io/UTKFace); non-commercial"


def labels_from_pack(pack: Mapping[str, np.ndarray], path: Path) -> PackLabels:
    """Ids, age, gender and race of a UTKFace pack."""
    return PackLabels(
        ids=pack["source_ids"].astype(str),
        labels={"age": pack["age"], "gender": pack["gender"], "race": pack["race"]},
        label_names={
            "gender": string_list(pack["gender_names"]),
            "race": string_list(pack["race_names"]),
        },
    )


def parse_name(name: str) -> tuple[int, int, int] | None:
    """(age, gender, race) from an official file name, or None for the few malformed names."""
    parts = name.split("_")
    try:
        age, gender, race = (int(p) for p in parts[:3])
    except ValueError:
        return None
    if gender not in (0, 1) or not 0 <= race < len(RACE_NAMES):
        return None
    return age, gender, race


def read_official(folder: Path) -> ImageSet | None:
    """Official files in ``folder/UTKFace`` or ``folder``; None when there are none."""
    for root in (folder / "UTKFace", folder):
        files = sorted(root.glob("*_*_*_*.jpg*"))
        if files:
            break
    else:
        return None
    parsed = [(f, parse_name(f.name)) for f in files]
    kept = [(f, labels) for f, labels in parsed if labels is not None]
    labels = np.array([labels for _, labels in kept], dtype=np.int64).reshape(-1, 3)
    return ImageSet(
        name="utkface",
        source=FileSource(root, [f.name for f, _ in kept], f"the file names in {root}"),
        ids=np.array([f.name for f, _ in kept]),
        labels={"age": labels[:, 0], "gender": labels[:, 1], "race": labels[:, 2]},
        label_names={"gender": GENDER_NAMES, "race": RACE_NAMES},
        origin=str(root),
        layout="official",
    )
