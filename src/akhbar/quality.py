"""The ``filter`` stage: score every article first, then decide in one place.

:func:`signals` adds the ``QUALITY_FIELDS`` columns (vectorized in polars, except the
language id, which has no columnar form); :func:`decide` is the *only* function that
compares them with the thresholds of ``params.yaml`` ``quality:``. Keeping the scores in
the output lets anyone re-decide with other thresholds without recomputing anything.

The signals follow Gopher/FineWeb(-2) definitions, adapted to Arabic: line-end
punctuation includes ``، ؛ ؟ …`` and ``»``; a "word" is a whitespace token holding at
least one letter or digit (Gopher's non-symbol words).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

from akhbar import config, langid, streaming
from akhbar.codepoints import prose_counts
from akhbar.params import Params, RawParams, typed
from akhbar.stage import StageReport, rejected_frame

#: The stage's one name: registry entry, params section, ``stage`` column, reason prefix.
STAGE = "quality"
#: Characters that end a "complete" line: Latin and Arabic sentence punctuation and
#: closing quotes (a news line often ends in a quotation).
LINE_END = r"""[.!?…،؛؟»"”']$"""
#: Stripped from line ends besides whitespace: invisible marks that hide the real last char.
_INVISIBLE = "".join(map(chr, [*range(0x200B, 0x2010), *range(0x202A, 0x202F),
                                *range(0x2066, 0x206A), 0xFEFF]))
_WORD = r"[\p{L}\p{N}]"
#: Not prose, removed before the ratio, word-length and language signals are computed (the
#: text itself keeps them): URLs, e-mail addresses and lines of script/poll/style code. An
#: article is not "low Arabic" because an image URL or a poll widget was left in its body.
URL = r"(?i)(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+"
#: A line of code: a JavaScript/CSS statement or a tag (``var x =``, ``function(``,
#: ``document.write``, ``$(…)``, ``{…}``, ``<script``), i.e. code tokens with no Arabic.
CODE_LINE = (r"(?m)^[^\p{Arabic}\n]*(?:\bfunction\s*\(|\bvar\s+\w+\s*=|document\.|window\."
             r"|jQuery|\$\(|</?(?:script|style|div|iframe|img)\b|[{};]\s*$)[^\p{Arabic}\n]*$")
#: A letter lost to an earlier lossy conversion: U+FFFD, or ``?`` standing for letters
#: (a run of two or more, or one between two letters). A sentence's final ``?`` is not one.
DAMAGED = r"\uFFFD|\?{2,}|(?:\p{L}\?)+\p{L}"


def _lines(text: pl.Expr) -> pl.Expr:
    """Non-empty, stripped lines of ``text`` that hold a letter or a digit: a separator
    line (``* *``, ``.``, ``-----``) is layout, not a line a column can repeat."""
    return (text.str.split("\n")
            .list.eval(pl.element().str.strip_chars(_INVISIBLE).str.strip_chars()
                       .str.strip_chars(_INVISIBLE))
            .list.filter(pl.element().str.contains(_WORD)))


#: A literal every match of :data:`URL` or :data:`CODE_LINE` holds (case-folded: a
#: superset). Rows without one are their own prose, so the two costly regexes run only on
#: the ~2% of rows that may hold a URL or code (same result, a tenth of the cost).
MAYBE_NOT_PROSE = r"(?i)function|var|document\.|window\.|jquery|\$\(|[<{};@]|://|www\."


def prose_expr(text: pl.Expr) -> pl.Expr:
    """``text`` without URLs, e-mail addresses and code lines (see :data:`URL`)."""
    return text.str.replace_all(CODE_LINE, "").str.replace_all(URL, " ")


def prose(text: pl.Series) -> pl.Series:
    """:func:`prose_expr` of ``text`` (nulls as ""), run only on rows that may need it
    (:data:`MAYBE_NOT_PROSE`); when/then would evaluate it on every row."""
    text = text.fill_null("")
    rows = text.str.contains(MAYBE_NOT_PROSE).arg_true()
    if not len(rows):
        return text
    fixed = pl.select(prose_expr(pl.lit(text.gather(rows)))).to_series()
    return text.scatter(rows, fixed)


def damaged_expr(text: pl.Expr) -> pl.Expr:
    """Share of letter positions lost to a lossy conversion: damaged characters (U+FFFD,
    ``?`` in place of letters, see :data:`DAMAGED`) / (letters + damaged characters)."""
    bad = (text.str.extract_all(DAMAGED).list.join("").str.count_matches(r"[\uFFFD?]")
           .fill_null(0).cast(pl.Float64))
    letters = text.str.count_matches(r"\p{L}").cast(pl.Float64)
    return pl.when(bad > 0).then(bad / (letters + bad)).otherwise(0.0)


def damaged(text: pl.Series) -> pl.Series:
    """:func:`damaged_expr` of ``text`` (nulls as ""), run only on the rows holding a
    ``?`` or U+FFFD (the others are 0.0 by definition): its letter count is a pass over
    every character otherwise."""
    text = text.fill_null("")
    rows = text.str.contains(r"[?\uFFFD]").arg_true()
    ratio = pl.repeat(0.0, len(text), dtype=pl.Float64, eager=True).alias("damaged_ratio")
    if not len(rows):
        return ratio
    return ratio.scatter(rows, pl.select(damaged_expr(pl.lit(text.gather(rows)))).to_series())


#: White space other than the space and the line break: rows holding any are split by regex.
_OTHER_SPACE = r"[^\S \n]"


def _tokens(text: pl.Series) -> pl.DataFrame:
    r"""Column ``w``: the whitespace tokens of each text (``\S+``) plus empty strings
    where two spaces meet (the caller drops them). A plain split on " " (after "\n" →
    " ") costs a third of the regex ``extract_all(r"\S+")``; the few rows holding another
    white space (tab, NBSP, thin space) have it turned into " " first, so both give the
    same non-empty tokens."""
    text = text.fill_null("")
    odd = text.str.contains(_OTHER_SPACE).arg_true()
    if len(odd):
        spaced = pl.select(pl.lit(text.gather(odd)).str.replace_all(r"\s", " ")).to_series()
        text = text.scatter(odd, spaced)
    return pl.select(pl.lit(text).str.replace_all("\n", " ", literal=True).str.split(" ")
                     .alias("w"))


def _top_bigram_frac(df: pl.DataFrame) -> pl.Series:
    """Fraction of characters covered by the most frequent word 2-gram (Gopher).

    Coverage = len(2-gram) × its count / n_chars. A 2-gram seen only once is no
    repetition, so its coverage is 0 (Gopher would give a 3-word text ~0.7).
    Polars tokenizes and hashes each word once (64-bit, no exploded strings); numpy does
    the rest on integers: a 2-gram is keyed by (row, word, next word) hashes mixed into one
    u64, one plain sort of the keys (no argsort: several times cheaper) finds the keys seen
    twice or more, and only those few 2-grams are grouped. Two different 2-grams of one
    text would have to collide in 64 bits to be miscounted: negligible (~n²/2⁶⁴).
    """
    tok = _tokens(df.get_column("text")).select(
        pl.col("w").list.eval(pl.element().hash(seed=0)).alias("h"),
        pl.col("w").list.eval(pl.element().str.len_chars()).alias("n"))
    sizes = tok.get_column("h").list.len().to_numpy()
    flat = tok.explode("h", "n")
    length = flat.get_column("n").to_numpy().astype(np.int64)
    word = length > 0  # the empty pieces between two spaces are no token
    h = flat.get_column("h").to_numpy()[word]
    row = np.repeat(np.arange(df.height, dtype=np.uint64), sizes)[word]
    length = length[word]
    same = row[:-1] == row[1:]
    with np.errstate(over="ignore"):  # u64 products wrap, as a hash mix should
        key = (h[:-1][same] * np.uint64(0x9E3779B97F4A7C15) ^ h[1:][same]
               ^ row[:-1][same] * np.uint64(0xC2B2AE3D27D4EB4F))
    coverage = np.zeros(df.height, dtype=np.int64)
    ordered = np.sort(key)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]  # sorted: unique without a sort
    repeated = twice[np.r_[True, twice[1:] != twice[:-1]]] if len(twice) else twice
    if len(repeated):
        glen = (length[:-1] + 1 + length[1:])[same]
        grow = row[:-1][same]
        keep = pl.Series(key).is_in(pl.Series(repeated).implode()).to_numpy()
        k, g, r = key[keep], glen[keep], grow[keep].astype(np.int64)
        _, first, count = np.unique(k, return_index=True, return_counts=True)
        g, r = g[first], r[first]
        # per row: the most frequent 2-gram(s), the longest of them
        best = np.lexsort((g * count, count, r))
        last = np.r_[r[best][1:] != r[best][:-1], True]
        coverage[r[best][last]] = (g * count)[best][last]
    n_chars = df.get_column("text").fill_null("").str.len_chars().cast(pl.Float64)
    frac = pl.Series("top_ngram_frac", coverage, dtype=pl.Float64) / n_chars
    return frac.fill_nan(0.0).fill_null(0.0).alias("top_ngram_frac")


def language(texts: pl.Series, prefix_chars: int = 300) -> pl.DataFrame:
    """``lang``/``lang_score`` of each text, on its first ``prefix_chars`` characters.

    The prefix bounds the cost of py3langid's byte automaton, which :mod:`akhbar.langid`
    walks for the whole batch at once (same answers as py3langid text by text).
    """
    prefixes = texts.fill_null("").str.slice(0, prefix_chars).to_list()
    result = langid.classify(prefixes)
    return pl.DataFrame({"lang": [r[0] for r in result], "lang_score": [r[1] for r in result]},
                        schema={"lang": pl.String, "lang_score": pl.Float64})


#: A word (see the module docstring) as one match: a whitespace token holding a letter or
#: a digit. Counting its matches is ``extract_all(r"\S+")`` filtered by :data:`_WORD`
#: without building the list of words.
WORD_TOKEN = r"\S*[\p{L}\p{N}]\S*"


def _chars_besides(text: pl.Expr, drop: str) -> pl.Expr:
    r"""Characters of ``text`` outside the class ``drop`` (a negated class, e.g. ``\P{L}``):
    one match per run of dropped characters instead of one per counted character."""
    return text.str.replace_all(drop + "+", "").str.len_chars().cast(pl.Float64)


def _word_signals(prose: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(n_words, mean_word_length) of ``prose`` without a list of its words: the length of
    the words is the non-space, non-mark characters of the text minus those of its
    non-word tokens (diacritics, i.e. harakat, shadda, dagger alef, do not lengthen a
    word). Same values as the mean of the per-word lengths (integer sums, one division).
    """
    n = prose.str.count_matches(WORD_TOKEN)
    visible = r"[\s\p{M}]"
    length = (_chars_besides(prose, visible)
              - _chars_besides(prose.str.replace_all(WORD_TOKEN, ""), visible))
    mean = pl.when(n > 0).then(length / n.cast(pl.Float64)).otherwise(0.0)
    return n.cast(pl.Int64), mean.cast(pl.Float64)


def signals(df: pl.DataFrame, lang_prefix_chars: int = 300) -> pl.DataFrame:
    """``df`` with the ``QUALITY_FIELDS`` columns (re)computed from ``text``.

    The language id (Python and numpy, holding the GIL) runs in a thread of its own while
    polars computes the other signals (its kernels release the GIL): both cores work.
    """
    text = pl.col("text").fill_null("")
    prose_text = prose(df.get_column("text"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        lang_job = pool.submit(language, prose_text, lang_prefix_chars)
        out = _polars_signals(df.with_columns(prose_text.alias("__prose")), text)
        lang = lang_job.result()
    return out.with_columns(lang.get_column("lang"), lang.get_column("lang_score"))


def _polars_signals(df: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """Every signal but the language id, from ``text`` and its prose (``__prose``)."""
    # the lines once, as a column: an expression used four times would be split four
    # times (eager frames run without common-subexpression elimination)
    df = df.with_columns(_lines(text).alias("__lines"))
    lines = pl.col("__lines")
    counts = prose_counts(df.get_column("__prose"))
    letters, arabic = pl.col("__letters"), pl.col("__arabic")
    n_lines = lines.list.len().cast(pl.Float64)
    ratio = pl.when(letters > 0)
    n = pl.col("__n_words")
    n_words = n.cast(pl.Int64)
    mean_word_length = (pl.when(n > 0).then(pl.col("__word_chars") / n.cast(pl.Float64))
                        .otherwise(0.0).cast(pl.Float64))
    out = df.with_columns(counts.select(pl.all().name.prefix("__"))).with_columns(
        text.str.len_chars().cast(pl.Int64).alias("n_chars"),
        n_words.alias("n_words"),
        mean_word_length.alias("mean_word_length"),
        damaged(df.get_column("text")).alias("damaged_ratio"),
        ratio.then(arabic / letters).otherwise(0.0).alias("arabic_ratio"),
        ratio.then((letters - arabic) / letters).otherwise(0.0)
        .alias("non_arabic_script_ratio"),
        pl.when(n_lines > 0)
        .then(lines.list.eval(pl.element().str.contains(LINE_END)).list.sum() / n_lines)
        .otherwise(0.0).cast(pl.Float64).alias("punct_line_ratio"),
        pl.when(n_lines > 0)
        .then((lines.list.len() - lines.list.n_unique()).cast(pl.Float64) / n_lines)
        .otherwise(0.0).alias("dup_line_frac"),
    )
    return (out.with_columns(_top_bigram_frac(df))
            .drop("__prose", "__lines", *[f"__{c}" for c in counts.columns]))


def _rules(q: config.Quality) -> list[tuple[str, pl.Expr]]:
    """(reason, failing condition) pairs, in the order reasons are reported."""
    langs = q.languages
    in_lang = pl.col("lang").is_in(langs)
    return [
        # first: a damaged text also fails the word rules, but damage is why it is bad
        ("quality:damaged", pl.col("damaged_ratio") > q.max_damaged_ratio),
        ("quality:too-short", pl.col("n_words") < q.min_words),
        ("quality:too-long", pl.col("n_words") > q.max_words),
        ("quality:not-arabic", ~in_lang),
        ("quality:lang-score", in_lang & (pl.col("lang_score") < q.min_lang_score)),
        ("quality:low-arabic-ratio", pl.col("arabic_ratio") < q.min_arabic_ratio),
        ("quality:word-length", (pl.col("mean_word_length") < q.min_mean_word_length)
         | (pl.col("mean_word_length") > q.max_mean_word_length)),
        ("quality:repeated-lines", pl.col("dup_line_frac") > q.max_dup_line_frac),
        ("quality:repeated-ngrams", pl.col("top_ngram_frac") > q.max_top_ngram_frac),
        ("quality:line-punctuation",
         pl.col("punct_line_ratio") < q.min_punct_line_ratio),
    ]


def decide(df: pl.DataFrame, params: Params | RawParams) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split scored rows into (kept, rejected) by the thresholds of ``params.quality``.

    The one place thresholds are applied. A rejected row lists *every* failed rule in
    ``reasons`` (first one in ``reason``); a null signal counts as failing.
    """
    rules = _rules(typed(params).quality)
    failed = pl.concat_list([
        pl.when(cond.fill_null(True)).then(pl.lit(reason)).otherwise(pl.lit(None,
                                                                          pl.String))
        for reason, cond in rules
    ]).list.drop_nulls()
    scored = df.with_columns(failed.alias("_reasons"))
    bad = pl.col("_reasons").list.len() > 0
    kept = scored.filter(~bad).drop("_reasons")
    rejected = rejected_frame(
        scored.filter(bad), STAGE, pl.col("_reasons"),
        detail=pl.format("n_words={} mean_word_length={} arabic_ratio={} lang={}:{} "
                         "dup_line_frac={} top_ngram_frac={} punct_line_ratio={} "
                         "damaged_ratio={}",
                         *[pl.col(c).round(3) if c != "n_words" and c != "lang" else pl.col(c)
                           for c in ("n_words", "mean_word_length", "arabic_ratio", "lang",
                                     "lang_score", "dup_line_frac", "top_ngram_frac",
                                     "punct_line_ratio", "damaged_ratio")]))
    return kept, rejected


def run(inp: Path, out: Path, rejected: Path, params: Params | RawParams) -> StageReport:
    """Score and filter ``inp`` batch by batch into ``out`` (parts) and ``rejected``."""
    p = typed(params)
    q = p.quality

    def step(batch: pl.DataFrame, state: None) -> tuple[pl.DataFrame, pl.DataFrame]:
        return decide(signals(batch, q.lang_prefix_chars), p)

    return streaming.run(STAGE, Path(inp), Path(out), Path(rejected),
                         streaming.Passes(step), batch_size=q.batch_size,
                         rows_per_file=q.rows_per_file)
