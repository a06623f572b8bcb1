"""A published dataset whose keys break every ``keys`` and ``leakage`` check, with
failures spread over splits, files and hash buckets (shared by the bucketed-validation
tests: ``test_distributed_keys.py`` on a cluster, ``test_validate_buckets.py`` locally)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from akhbar.schema import SPLITS
from test_validate import Fixture, _null_one, article

SIZES = {"train": 14, "validation": 6, "test": 6}


def articles() -> dict[str, list[dict[str, Any]]]:
    """More rows than test_validate's eight texts: texts repeat, ids and URLs do not."""
    out, i = {}, 0
    for split, n in SIZES.items():
        out[split] = []
        for k in range(i, i + n):
            row = article(k % 8, split)
            row.update(id=f"a{k:03d}", cluster_id=f"a{k:03d}",
                       url=f"https://news.example.sa/a/{k}")
            out[split].append(row)
        i += n
    return out


def broken() -> Fixture:
    """Seven ids published twice (within a split and across splits, later rows first
    too), three URLs shared, and null ids in two files; texts repeat across splits (eight
    texts for 26 rows), six near-duplicate clusters span two splits, one story three
    splits (two more stories stay within a split)."""
    fx = Fixture(articles=articles())
    rows = [r for s in SPLITS for r in fx.articles[s]]
    for a, b in ((0, 1), (2, 20), (3, 15), (25, 5), (6, 24), (8, 9), (12, 22)):
        rows[b]["id"] = rows[a]["id"]
    for a, b in ((4, 18), (10, 11), (23, 13)):
        rows[b]["url"] = rows[a]["url"]
    for a, b in ((1, 14), (3, 21), (7, 16), (9, 25), (19, 22), (2, 24)):
        rows[b]["cluster_id"] = rows[a]["cluster_id"]
    for k, members in (("s-alpha", (0, 17, 23)), ("s-beta", (5, 6)), ("s-gamma", (15, 19))):
        for i in members:
            rows[i]["story_id"] = k
    nulls = [_null_one("data/train-00002-of-00005.parquet", "id", 1),
             _null_one("data/test-00001-of-00002.parquet", "id", 0)]

    def post(root: Path) -> None:
        for fault in nulls:
            fault(root)
    fx.post = post
    return fx
