"""The dataset card's figures: articles per source, per month, and text length.

Each figure is written twice: as a PNG shown in the card and as a small CSV that
``dvc plots`` can render and diff between revisions. Both are byte-identical for
identical inputs: figures are drawn with matplotlib's object API (``Figure`` renders
through Agg without touching pyplot's global state), under a fixed style, fixed
size and dpi, and saved with ``metadata={"Software": None}`` so that no version string
or timestamp lands in the PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.style
import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from akhbar.config import Plots
from akhbar.schema import SPLITS
from akhbar.shards import split_files

#: The fixed style applied over matplotlib's defaults.
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "path.simplify": True,
}


#: Figure geometry and binning: ``card.plots`` in params.yaml (the typed model).
PlotSettings = Plots


def article_frame(dataset_dir: Path) -> pl.DataFrame:
    """``split, source, published, n_chars`` of every published article.

    Only these columns are read (lazily, per split), so the card of a large corpus does
    not load its texts into memory.
    """
    frames = []
    for split in SPLITS:
        files = split_files(dataset_dir, split)
        if not files:
            continue
        frames.append(
            pl.scan_parquet(files)
            .select(
                pl.lit(split).alias("split"),
                pl.col("source").fill_null("(unknown)"),
                pl.col("published"),
                # the filter's stored length: the texts themselves are never read
                pl.col("n_chars").cast(pl.Int64),
            )
            .collect(engine="streaming")
        )
    if not frames:
        return pl.DataFrame(schema={"split": pl.String, "source": pl.String,
                                    "published": pl.Datetime("us", "UTC"),
                                    "n_chars": pl.Int64})
    return pl.concat(frames, how="vertical")


def per_source(articles: pl.DataFrame) -> pl.DataFrame:
    """Articles per source and split (``source, split, articles``), sorted for stable bytes."""
    return (articles.group_by("source", "split").len(name="articles")
            .sort("source", "split"))


def per_month(articles: pl.DataFrame) -> pl.DataFrame:
    """Articles per publication month (``month`` as ``YYYY-MM``; undated rows excluded).

    Months without articles between the first and the last appear with 0, so that gaps
    in coverage show as gaps in the figure.
    """
    counts = (articles.drop_nulls("published")
              .select(pl.col("published").dt.date().dt.truncate("1mo").alias("month"))
              .group_by("month").len(name="articles"))
    if counts.is_empty():
        return pl.DataFrame(schema={"month": pl.String, "articles": pl.Int64})
    months = pl.date_range(counts.get_column("month").min(), counts.get_column("month").max(),
                           "1mo", eager=True).alias("month").to_frame()
    return (months.join(counts, on="month", how="left")
            .select(pl.col("month").dt.strftime("%Y-%m"),
                    pl.col("articles").fill_null(0).cast(pl.Int64)))


def length_histogram(articles: pl.DataFrame, bins: int) -> pl.DataFrame:
    """Histogram of text length in characters over log-spaced bins (news lengths span
    orders of magnitude, so linear bins would put almost everything in the first one).

    Bins are ``[bin_start, bin_end)`` with integer edges; the last bin includes its end.
    """
    lengths = articles.get_column("n_chars").drop_nulls().to_numpy()  # null: not scored
    schema = {"bin_start": pl.Int64, "bin_end": pl.Int64, "articles": pl.Int64}
    if lengths.size == 0:
        return pl.DataFrame(schema=schema)
    low, top = max(int(lengths.min()), 1), max(int(lengths.max()), 1)
    edges = np.floor(np.geomspace(low, top + 1, bins + 1)).astype(np.int64)
    edges[0], edges[-1] = low, top + 1  # exact ends, whatever the float rounding
    edges = np.unique(edges)
    if int(lengths.min()) == 0:  # empty texts get their own [0, 1) bin
        edges = np.concatenate([[0], edges])
    counts, _ = np.histogram(lengths, bins=edges)
    return pl.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "articles": counts},
                        schema=schema)


def _save(fig: Figure, path: Path, dpi: int) -> None:
    fig.savefig(path, format="png", dpi=dpi, metadata={"Software": None})


def _figure(settings: PlotSettings) -> Figure:
    return Figure(figsize=(settings.width, settings.height), dpi=settings.dpi,
                  layout="constrained")


def _plot_sources(data: pl.DataFrame, path: Path, s: PlotSettings) -> None:
    wide = (data.group_by("source").agg(
        [pl.col("articles").filter(pl.col("split") == sp).sum().alias(sp) for sp in SPLITS])
        .with_columns(pl.sum_horizontal(*SPLITS).alias("total"))
        .sort(["total", "source"], descending=[True, False]).head(s.top_sources)
        .reverse())
    fig = _figure(s)
    ax = fig.add_subplot()
    y = np.arange(wide.height)
    left = np.zeros(wide.height)
    for split in SPLITS:
        values = wide.get_column(split).to_numpy().astype(float)
        ax.barh(y, values, left=left, label=split)
        left += values
    ax.set_yticks(y, wide.get_column("source").to_list())
    ax.set_xlabel("articles")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Articles per source (top {s.top_sources})")
    ax.legend(loc="lower right")
    _save(fig, path, s.dpi)


def _plot_months(data: pl.DataFrame, path: Path, s: PlotSettings) -> None:
    fig = _figure(s)
    ax = fig.add_subplot()
    x = np.arange(data.height)
    ax.bar(x, data.get_column("articles").to_numpy(), width=0.9)
    months = data.get_column("month").to_list()
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], months[::step], rotation=45, ha="right")
    ax.set_ylabel("articles")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Articles per publication month")
    _save(fig, path, s.dpi)


def _plot_lengths(data: pl.DataFrame, path: Path, s: PlotSettings) -> None:
    fig = _figure(s)
    ax = fig.add_subplot()
    if data.height:
        starts = np.maximum(data.get_column("bin_start").to_numpy(), 1)
        widths = data.get_column("bin_end").to_numpy() - starts
        ax.bar(starts, data.get_column("articles").to_numpy(), width=widths, align="edge")
        ax.set_xscale("log")
    ax.set_xlabel("text length (characters, log scale)")
    ax.set_ylabel("articles")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Text length")
    _save(fig, path, s.dpi)


#: name → title; the order is the card's order.
PLOTS = {
    "articles_per_source": "Articles per source",
    "articles_per_month": "Articles per publication month",
    "text_length": "Text length (characters)",
}


def write(dataset_dir: Path, out_dir: Path, settings: PlotSettings,
          articles: pl.DataFrame | None = None) -> dict[str, Path]:
    """Write each figure as ``out_dir/<name>.png`` and its data as ``<name>.csv``.

    Returns name → PNG path (in :data:`PLOTS` order). ``articles`` may be passed when
    the caller already read :func:`article_frame`.
    """
    if articles is None:
        articles = article_frame(dataset_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "articles_per_source": per_source(articles),
        "articles_per_month": per_month(articles),
        "text_length": length_histogram(articles, settings.bins),
    }
    draw = {
        "articles_per_source": _plot_sources,
        "articles_per_month": _plot_months,
        "text_length": _plot_lengths,
    }
    written: dict[str, Path] = {}
    # "default" first: a user's matplotlibrc must not change the bytes of a figure.
    with matplotlib.style.context(["default", _STYLE]):
        for name in PLOTS:
            data[name].write_csv(out_dir / f"{name}.csv")
            png = out_dir / f"{name}.png"
            draw[name](data[name], png, settings)
            written[name] = png
    return written
