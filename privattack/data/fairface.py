"""FairFace (Kärkkäinen and Joo, WACV 2021, CC BY 4.0): official CSV layout or npz packs."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from privattack.data.images import FileSource, ImageSet
from privattack.data.packs import PackLabels, string_list
from privattack.errors import DataError

RACE_NAMES = [
    "White",
    "Black",
    "Latino_Hispanic",
    "East Asian",
    "Southeast Asian",
    "Indian",
    "Middle Eastern",
]
GENDER_NAMES = ["Male", "Female"]
AGE_GROUP_NAMES = ["20-29", "30-39", "40-49", "50-59", "60-69", "70+"]
# The official labels have 9 age bins; ages under 20 have no group here (label -1).
_OFFICIAL_AGE = {"20-29": 0, "30-39": 1, "40-49": 2, "50-59": 3, "60-69": 4, "more than 70": 5}
OFFICIAL_FILES = "fairface_label_train.csv, fairface_label_val.csv, train/, val/"
HOW_TO_GET = "the FairFace release (github.com/joojs/fairface), padding 0.25 or 1.25 images"


def labels_from_pack(pack: Mapping[str, np.ndarray], path: Path) -> PackLabels:
    """Ids, race, gender and age group of a FairFace pack."""
    return PackLabels(
        ids=pack["source_ids"].astype(str),
        labels={"race": pack["race"], "gender": pack["gender"], "age_group": pack["age_group"]},
        label_names={
            "race": string_list(pack["race_names"]),
            "gender": string_list(pack["gender_names"]),
            "age_group": string_list(pack["age_group_names"]),
        },
    )


def read_official(folder: Path) -> ImageSet | None:
    """The official CSV layout in ``folder``, or None when the label files are not there."""
    csvs = {split: folder / f"fairface_label_{split}.csv" for split in ("train", "val")}
    if not all(path.is_file() for path in csvs.values()):
        return None
    ids, race, gender, age, partition = [], [], [], [], []
    for split, path in csvs.items():
        with path.open(newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    race.append(RACE_NAMES.index(row["race"]))
                    gender.append(GENDER_NAMES.index(row["gender"]))
                    age.append(_OFFICIAL_AGE.get(row["age"], -1))
                    ids.append(row["file"])
                except (KeyError, ValueError) as error:
                    raise DataError(f"{path}:{line}: unexpected row {row!r} ({error}).") from error
                partition.append(split)
    return ImageSet(
        name="fairface",
        source=FileSource(folder, ids, f"{folder}/fairface_label_{{train,val}}.csv"),
        ids=np.asarray(ids),
        labels={
            "race": np.asarray(race),
            "gender": np.asarray(gender),
            "age_group": np.asarray(age),
        },
        label_names={"race": RACE_NAMES, "gender": GENDER_NAMES, "age_group": AGE_GROUP_NAMES},
        origin=str(folder),
        layout="official",
        partition=np.asarray(partition),
    )
