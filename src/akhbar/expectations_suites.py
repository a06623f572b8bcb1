"""The Great Expectations suites of the ``validate`` stage, defined once in Python.

Why Python definitions plus committed JSON: the definitions are built with GX's own
expectation classes (so a wrong keyword fails at once) and carry comments; the JSON files
in ``expectations/`` are what ``validate`` loads, what DVC tracks as a dependency and what
a reviewer diffs (sorted keys, indent 2, ASCII escapes so that an invisible code point in a
regex is visible). ``tests/test_validate.py`` checks that the committed JSON equals
:func:`suite_dicts`; after changing a definition run ``python -m akhbar.expectations_suites``.

Thresholds are never written into a suite: they are GX suite parameters
(``{"$PARAMETER": "min_text_chars"}``) filled from ``params.yaml`` at validation time; the
filter's own thresholds are checked again on the output from the same ``quality`` section
the filter read (parameters ``quality_<key>``), so the suites state what the filter
guarantees.

Each expectation carries ``meta.check``: the short, stable name that reports and the
build's failure summary use. Checks that GX cannot express on pandas frames (Arrow types
and nullability, shard file names, a readable ``stats.json``) are done with pyarrow in
``akhbar.validate`` and listed in the suite's ``meta.pyarrow_checks`` so that the JSON
says everything a suite covers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from akhbar.chars import INTRA_WORD_TATWEEL, char_class
from akhbar.schema import ARTICLE_SCHEMA, REJECTED_SCHEMA
from akhbar.text import presentation_map

#: The folder holding the committed suites (the project root's ``expectations/``).
SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"



def known_reason(stages: Sequence[str] | None = None) -> str:
    """The reason pattern: ``<stage>:<why>`` for a stage of the registry that sets rows
    aside (``stages``: those stages' names, as the caller's registry has them; a validation
    worker process may not hold a stage registered at run time). A suite parameter
    (``known_reason``), filled when validation runs, so that a stage added to the registry
    needs no change to the committed suites."""
    if stages is None:
        from akhbar.pipeline import reason_prefixes

        stages = reason_prefixes()
    return r"^(?:" + "|".join(stages) + r"):\S+$"

#: Code points that the cleaner must have removed or mapped. Regexes stay within the
#: syntax shared by Python ``re`` and RE2 (pandas may hand them to either).
FORBIDDEN: dict[str, str] = {
    # Persian yeh/keheh next to an Arabic-only letter: the corpus is Arabic, so such a
    # letter is a keyboard artefact the cleaner maps to ي/ك.
    "persian_letters": "[\u0621-\u064a][\u06a9\u06cc]|[\u06a9\u06cc][\u0621-\u064a]",
    # Intra-word tatweel only (akhbar.text keeps هـ/مـ after a number and writes a
    # standalone run as a dash).
    "tatweel": INTRA_WORD_TATWEEL,
    # zero-width and bidi controls, Arabic letter mark
    "invisible_controls": "[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c]",
    # Arabic presentation forms A and B that the cleaner maps to letters
    # (akhbar.text.presentation_map); symbols of those blocks with no letter form, such as
    # the ornate parentheses ﴾﴿ around Quran quotations, are legitimate text. U+FEFF:
    # zero-width no-break space.
    "presentation_forms": char_class([*presentation_map(), "\ufeff"]),
}

#: A tag (``<p>``, ``</div>``, ``<br/>``), a comment opener or a named/numeric entity.
HTML = (r"<\s*/?\s*[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?\s*>|<!--"
        r"|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});")

#: The per-row suites run on batches; they need only these columns.
ROW_COLUMNS = ["id", "title", "text", "arabic_ratio", "published", "crawled",
               "n_words", "mean_word_length", "dup_line_frac", "top_ngram_frac",
               "punct_line_ratio", "lang", "lang_score"]

#: The filter's thresholds (``params['quality']``) as checked on the output: (check,
#: column, min parameter, max parameter or fixed bound, what it protects). The suite
#: parameters are named ``quality_<key>`` and filled from the same section the filter reads.
FILTER_CHECKS: list[tuple[str, str, Any, Any, str]] = [
    ("filter_min_max_words", "n_words", "quality_min_words", "quality_max_words",
     "No kept article is shorter or longer than the filter allows (quality.min_words / "
     "max_words): name lists, captions and runaway pages stay out."),
    ("filter_mean_word_length", "mean_word_length", "quality_min_mean_word_length",
     "quality_max_mean_word_length",
     "Mean word length within quality.min/max_mean_word_length: no glued or exploded text."),
    ("filter_arabic_ratio", "arabic_ratio", "quality_min_arabic_ratio", 1.0,
     "Arabic letters are at least quality.min_arabic_ratio of all letters: no Latin dumps."),
    ("filter_dup_line_frac", "dup_line_frac", 0.0, "quality_max_dup_line_frac",
     "Repeated lines at most quality.max_dup_line_frac: no menus or link lists."),
    ("filter_top_ngram_frac", "top_ngram_frac", 0.0, "quality_max_top_ngram_frac",
     "Most repeated 2-gram covers at most quality.max_top_ngram_frac: no RSS/link lists."),
    ("filter_punct_line_ratio", "punct_line_ratio", "quality_min_punct_line_ratio", 1.0,
     "Share of lines ending in punctuation at least quality.min_punct_line_ratio."),
    ("filter_lang_score", "lang_score", "quality_min_lang_score", 1.0,
     "Language-id confidence at least quality.min_lang_score for every kept article."),
]


def _p(name: str) -> dict[str, str]:
    """A GX suite parameter reference, filled from the parameters at run time."""
    return {"$PARAMETER": name}


def _bound(value: Any) -> Any:
    return _p(value) if isinstance(value, str) else value


def _definitions() -> dict[str, Any]:
    """Suite name → (expectations, pyarrow checks, what the suite's batch is). Every
    expectation carries ``meta.check`` (its stable name) and ``notes`` (what it
    protects, shown in Data Docs)."""
    import great_expectations.expectations as gxe

    def m(check: str) -> dict[str, str]:
        return {"check": check}

    text_quality = [
        gxe.ExpectColumnValuesToNotBeNull(
            column="text", meta=m("text_not_null"),
            notes="Every article has a text: a row without one is not an article."),
        gxe.ExpectColumnValuesToMatchRegex(
            column="text", regex=r"\S", meta=m("text_not_blank"),
            notes="No text is only whitespace."),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="text", min_value=_p("min_text_chars"), max_value=_p("max_text_chars"),
            meta=m("text_length"),
            notes="Text length within validate.min/max_text_chars: no empty shells, no "
                  "whole-site dumps in one row."),
        gxe.ExpectColumnValuesToNotBeNull(
            column="arabic_ratio", meta=m("arabic_ratio_not_null"),
            notes="Every kept article was scored by the filter (a null signal is a row "
                  "that skipped it)."),
    ]
    for check, column, low, high, why in FILTER_CHECKS:
        if column != "arabic_ratio":
            text_quality.append(gxe.ExpectColumnValuesToNotBeNull(
                column=column, meta=m(f"{column}_not_null"),
                notes=f"Every kept article has its {column} signal (the filter rejects a "
                      "null signal)."))
        text_quality.append(gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=_bound(low), max_value=_bound(high), meta=m(check),
            notes=why))
    text_quality.append(gxe.ExpectColumnValuesToBeInSet(
        column="lang", value_set=_p("quality_languages"), meta=m("filter_language"),
        notes="Every kept article's language label is one of quality.languages."))
    why_forbidden = {
        "persian_letters": "Persian yeh/keheh next to Arabic letters are keyboard artefacts "
                           "the cleaner maps to ي/ك.",
        "tatweel": "Tatweel (kashida) is typography the cleaner removes.",
        "invisible_controls": "Zero-width and bidi controls are invisible noise the cleaner "
                              "removes.",
        "presentation_forms": "Arabic presentation forms are mapped to plain letters, so "
                              "the same word has one spelling.",
    }
    for column in ("text", "title"):
        for name, regex in FORBIDDEN.items():
            text_quality.append(gxe.ExpectColumnValuesToNotMatchRegex(
                column=column, regex=regex, meta=m(f"{column}_no_{name}"),
                notes=why_forbidden[name]))
    text_quality.append(gxe.ExpectColumnValuesToNotMatchRegex(
        column="text", regex=_p("boilerplate_regex"), meta=m("text_no_boilerplate"),
        notes="No page furniture (validate.boilerplate_*markers) survived parsing."))
    for column in ("text", "title"):
        text_quality.append(gxe.ExpectColumnValuesToNotMatchRegex(
            column=column, regex=HTML, meta=m(f"{column}_no_html"),
            notes="No HTML tag or entity left in the text."))

    dates = [
        gxe.ExpectColumnValuesToBeBetween(
            column=c, min_value=_p("date_min"), max_value=_p("date_max"),
            meta=m(f"{c}_in_range"),
            notes=f"`{c}` within validate.date_min/date_max: no epoch-zero or far-future "
                  "dates from a misparsed field.")
        for c in ("published", "crawled")
    ] + [gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="crawled", column_B="published", or_equal=True,
        ignore_row_if="either_value_is_missing", meta=m("published_not_after_crawled"),
        notes="No article was published after it was crawled (a date in the future of its "
              "own download is a parsing error).")]

    def unique_key(k: str, why: str) -> Any:
        return gxe.ExpectColumnValuesToBeUnique(column=f"{k}_key",
                                                meta=m(f"no_{k}_in_two_splits"), notes=why)

    return {
        "schema_splits": (
            [gxe.ExpectTableColumnsToMatchOrderedList(
                column_list=ARTICLE_SCHEMA.names, meta=m("split_columns_ordered"),
                notes="Every split shard has exactly the columns of the schema contract, "
                      "in order (loaders and the card rely on it).")],
            ["split_arrow_types", "shard_names"],
            "an empty frame with each split shard's Parquet schema",
        ),
        "schema_rejected": (
            [gxe.ExpectTableColumnsToMatchOrderedList(
                column_list=REJECTED_SCHEMA.names, meta=m("rejected_columns_ordered"),
                notes="Every rejected shard has exactly the columns of the rejected "
                      "schema, in order.")],
            ["rejected_arrow_types"],
            "an empty frame with each rejected file's Parquet schema",
        ),
        "keys": (
            [gxe.ExpectTableRowCountToBeBetween(
                min_value=1, meta=m("dataset_not_empty"),
                notes="A build that kept no article is a failed build, not a small one."),
             gxe.ExpectColumnValuesToNotBeNull(
                 column="id", meta=m("id_not_null"), notes="Every article has an id."),
             gxe.ExpectColumnValuesToBeUnique(
                 column="id", meta=m("id_unique"),
                 notes="Ids are unique across splits: an id names one article."),
             gxe.ExpectColumnValuesToBeUnique(
                 column="url", meta=m("url_unique"),
                 notes="No URL is published twice (deduplication by source page).")],
            [],
            "id and url of every split together",
        ),
        "text_quality": (text_quality, [], "batches of split rows"),
        "dates": (dates, [], "batches of split rows"),
        "leakage": (
            # one row per distinct (key, split); a key on two rows is in two splits
            [unique_key("id", "No article id is in two splits."),
             unique_key("text", "No text (after folding) is in two splits: evaluation "
                                "never sees a training text."),
             unique_key("cluster", "No near-duplicate cluster spans two splits."),
             unique_key("story", "No story cluster (story_id) spans two splits: a story "
                                 "rewritten by several outlets stays in one split. "
                                 "Vacuous while story_id is null.")],
            [],
            "distinct (key, split) pairs; text_key = hash of akhbar.folding.fold(text)",
        ),
        "accounting_rejected": (
            [gxe.ExpectColumnValuesToNotBeNull(
                column="reason", meta=m("reason_not_null"),
                notes="Every rejected record says why."),
             gxe.ExpectColumnValuesToMatchRegex(
                 column="reason", regex=_p("known_reason"), meta=m("known_reason"),
                 notes="Every reason is `<stage>:<why>` of a known stage.")],
            [],
            "batches of rejected rows",
        ),
        "accounting_counts": (
            [gxe.ExpectColumnPairValuesToBeEqual(
                column_A="observed", column_B="expected", meta=m("counts_match_stats"),
                notes="Rows per split and per rejection reason equal stats.json: the card "
                      "and the metrics quote true counts.")],
            ["stats_json_valid"],
            "one row per split and per rejection reason: observed vs stats.json",
        ),
    }


def suite_dicts() -> dict[str, dict[str, Any]]:
    """The suites as GX JSON dicts, without GX's version stamp (kept stable in git)."""
    import great_expectations as gx

    out = {}
    for name, (expectations, pyarrow_checks, batch) in _definitions().items():
        suite = gx.ExpectationSuite(name=name, expectations=expectations,
                                    meta={"batch": batch, "pyarrow_checks": pyarrow_checks})
        d = suite.to_json_dict()
        d["meta"].pop("great_expectations_version", None)
        d.pop("id", None)
        out[name] = d
    return out


def dumps(suite: dict[str, Any]) -> str:
    """Diff-friendly JSON: sorted keys, indent 2, ASCII escapes, final newline."""
    return json.dumps(suite, sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def write_suites(folder: Path = SUITES_DIR) -> list[Path]:
    """(Re)generate ``folder/<suite>.json`` from the definitions above."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, suite in suite_dicts().items():
        path = folder / f"{name}.json"
        path.write_text(dumps(suite), encoding="utf-8")
        paths.append(path)
    return paths


def load_suites(folder: Path | None = None) -> dict[str, Any]:
    """GX ``ExpectationSuite`` objects from the committed JSON; from the definitions when
    the folder is absent (an installed package has no project root)."""
    import great_expectations as gx

    folder = SUITES_DIR if folder is None else folder
    if folder.is_dir() and any(folder.glob("*.json")):
        dicts = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                 for p in sorted(folder.glob("*.json"))}
    else:
        dicts = suite_dicts()
    return {name: gx.ExpectationSuite(**d) for name, d in dicts.items()}


if __name__ == "__main__":
    for written in write_suites():
        print(written)
