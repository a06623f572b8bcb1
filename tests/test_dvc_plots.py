"""The `dvc plots` views render: each plot of dvc.yaml, filled by DVC's own renderer
(dvc_render, what `dvc plots show` uses) from the CSV files the card stage writes, is
rendered to SVG by vl-convert and draws one mark per non-empty row."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from akhbar import card, params
from conftest import ROOT
from test_card import IDS, build_dataset

vl_convert = pytest.importorskip("vl_convert")
from dvc_render.vega import VegaRenderer  # noqa: E402


@pytest.fixture(scope="module")
def plot_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plots")
    build_dataset(root, IDS)
    card.run(root, params.load())
    return root


def _plots() -> dict[str, dict]:
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    return {Path(next(iter(p))).name: next(iter(p.values())) for p in spec["plots"]}


def _spec(csv_path: Path, props: dict) -> dict:
    """The Vega-Lite spec `dvc plots show` would build for the workspace revision."""
    with open(csv_path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    datapoints = [{**r, "rev": "workspace", "filename": csv_path.name, "field": props["y"]}
                  for r in rows]
    renderer = VegaRenderer(datapoints, csv_path.name, template_dir=str(ROOT / ".dvc/plots"),
                            **props)
    return renderer.get_filled_template()


def _marks(svg: str) -> int:
    """Drawn bars: paths inside Vega's rect-mark groups."""
    groups = re.findall(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    return sum(len(re.findall(r"<path ", g)) for g in groups)


@pytest.mark.parametrize("name", ["articles_per_source.csv", "articles_per_month.csv",
                                  "text_length.csv"])
def test_each_plot_renders_its_rows(plot_dir: Path, name: str) -> None:
    props = _plots()[name]
    path = plot_dir / "plots" / name
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    nonzero = sum(1 for r in rows if float(r[props["y"] if name != "articles_per_source.csv"
                                              else props["x"]]) > 0)
    assert nonzero > 0
    spec = _spec(path, props)
    svg = vl_convert.vegalite_to_svg(spec)
    assert _marks(svg) >= nonzero, name


def test_month_axis_is_temporal_and_histogram_is_binned(plot_dir: Path) -> None:
    month = _spec(plot_dir / "plots" / "articles_per_month.csv", _plots()["articles_per_month.csv"])
    assert month["encoding"]["x"]["type"] == "temporal"
    hist = _spec(plot_dir / "plots" / "text_length.csv", _plots()["text_length.csv"])
    assert hist["encoding"]["x"]["bin"] == {"binned": True}
    assert hist["encoding"]["x2"]["field"] == "bin_end"
    # a month axis labels dates, not the numbers 0…n
    svg = vl_convert.vegalite_to_svg(month)
    labels = re.findall(r"<text[^>]*>(\d{4}-\d{2})</text>", svg)
    assert labels, "no YYYY-MM tick labels on the month axis"
