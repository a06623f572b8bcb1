"""The published files of a dataset folder: one home for their names and for listing them.

A dataset folder holds ``data/{split}-NNNNN-of-NNNNN.parquet`` (the ``default`` config, one
series per split) and ``rejected/*.parquet`` (the ``rejected`` config). Everything that
reads a built dataset (card, plots, collect, validate, diff, explorer, release, versions)
lists them here, so the order (splits in :data:`akhbar.schema.SPLITS` order, files by name)
and the name pattern are decided once.
"""

from __future__ import annotations

import re
from pathlib import Path

from akhbar.schema import SPLITS

DATA_DIR, REJECTED_DIR = "data", "rejected"
#: The name of one published shard (``train-00000-of-00003.parquet``).
SHARD_NAME = re.compile(r"^(?P<split>[a-z]+)-(?P<i>\d{5})-of-(?P<n>\d{5})\.parquet$")
#: Every published Parquet file, both configs, relative to the dataset folder.
PUBLISHED = (f"{DATA_DIR}/*.parquet", f"{REJECTED_DIR}/*.parquet")


def split_files(dataset_dir: Path, split: str) -> list[Path]:
    """The shards of one split, by name."""
    return sorted((Path(dataset_dir) / DATA_DIR).glob(f"{split}-*.parquet"))


def splits_files(dataset_dir: Path) -> dict[str, list[Path]]:
    """Split → its shards, for the splits that have any, in :data:`SPLITS` order."""
    out = {s: split_files(dataset_dir, s) for s in SPLITS}
    return {s: files for s, files in out.items() if files}


def data_files(dataset_dir: Path) -> list[tuple[str, Path]]:
    """(split named by the file, file) for *every* Parquet file under ``data/``, strays
    included (the validator reports them), splits in :data:`SPLITS` order, then by name."""
    files = sorted((Path(dataset_dir) / DATA_DIR).glob("*.parquet"))
    order = {s: i for i, s in enumerate(SPLITS)}
    pairs = [(f.name.split("-", 1)[0], f) for f in files]
    return sorted(pairs, key=lambda p: (order.get(p[0], len(order)), p[1].name))


def rejected_files(dataset_dir: Path) -> list[Path]:
    """The shards of the ``rejected`` config, by name."""
    return sorted((Path(dataset_dir) / REJECTED_DIR).glob("*.parquet"))
