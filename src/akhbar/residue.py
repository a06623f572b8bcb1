"""Template residue: frames a news site wraps around its articles, removed by pattern.

:mod:`akhbar.boilerplate` removes lines that *recur within a source* once URLs, e-mail
addresses and numbers are masked (:func:`mask_expr`), which catches every fixed frame with a
variable slot that fills a whole line ("للتواصل أرسل sms إلى <n> ... بالرمز <n>", a time
stamp, an e-mail line). What it cannot see are frames glued to content: a share widget
before the first sentence, a link-back line whose slot is the headline, an "other articles
by the writer" list glued into one line, an agency end marker at the end of a sentence, a
tag list on the last line. Those are matched here by named patterns (:data:`LINE_FRAMES`,
:data:`INLINE_FRAMES`), each restricted to where the frame sits (opening or closing lines)
so that the same words inside a sentence stay. Every removal is counted per source and per
pattern (the clean stage report's ``residue``), with a bounded sample of removed lines.

Regexes rather than a library: these frames are site conventions with no standard form;
each pattern is tested on made-up Arabic fixtures (tests/test_residue.py) and measured on
SaudiNewsNet (benchmarks/residue_share.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl

from akhbar.config import Residue

#: Month names (Gregorian, Levantine, Hijri): a line naming a date keeps its numbers when
#: masked, so a wire dateline is never taken for a frame (it is data, see akhbar.dates).
MONTHS = ("يناير|فبراير|مارس|أبريل|ابريل|إبريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|"
          "اكتوبر|نوفمبر|ديسمبر|كانون|شباط|آذار|نيسان|أيار|حزيران|تموز|أيلول|تشرين|محرم|"
          "ربيع|جمادى|رجب|شعبان|رمضان|شوال|القعدة|الحجة")
URL = r"(?i)(?:https?://|www\.)\S+"
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"

_SOCIAL = (r"(?:تويتر|تويتير|فيسبوك|فيس بوك|فيسبوك|جوجل بلس|جوجل\+|واتساب|واتس اب|واتس آب|"
           r"لينكد ?ان|تيليجرام|تلغرام|البريد الإلكتروني|البريد|طباعة|إرسال|حفظ)")

#: Whole-line frames: name → (regex on the line, where: "any" | "edge" (first or last two
#: lines) | "tail" (last three lines)).
LINE_FRAMES: dict[str, tuple[str, str]] = {
    # "رابط الخبر بصحيفة <outlet>: <headline>" — the slot is a headline, never prose
    "link-back": (r"^.{0,40}رابط (?:الخبر|المقال|المادة)\b.{0,40}[:：]", "any"),
    # "مقالات أخرى للكاتب<title><title>..." (titles glued into one line)
    "other-articles": (r"^\s*(?:مقالات (?:أخرى|اخرى|سابقة) ل|المزيد من مقالات|جميع مقالات"
                       r"|اقرأ (?:المزيد|أيضا) للكاتب)", "tail"),
    # a line that is only an e-mail address, or "to write to the writer: <e-mail>"
    "email": (rf"^[^\n]{{0,30}}?{EMAIL}\s*$", "any"),
    # SMS/contact instructions: "للتواصل أرسل sms إلى 88 ... تبدأ بالرمز 12"
    # (an instruction verb, the channel and a number code: a sentence about SMS stays)
    "sms-contact": (r"(?i)^.{0,60}(?:للتواصل|للاشتراك|أرسل|ارسل).{0,60}"
                    r"(?:\bsms\b|رسالة (?:نصية )?قصيرة).{0,160}\d{3,}.{0,80}$", "any"),
    # a line that is only a link (an image or page URL left in the body)
    "url": (rf"^\s*[\(\[]?\s*{URL}\s*[\)\]]?\s*$", "any"),
    # an opening/closing photo credit: "(تصوير: <name>)", "عدسة: <name>"
    "photo-caption": (r"^\s*[\(\[]?\s*(?:تصوير|عدسة|الصورة|صورة)\s*[:：\-]\s*[^.،\n]{0,40}"
                      r"[\)\]]?\s*$", "edge"),
    # "كلمات دلالية: a، b، c" on the last lines: moved to ``tags``
    "tag-list": (r"^\s*(?:كلمات دلالية|الكلمات الدلالية|الوسوم|وسوم|الكلمات المفتاحية|"
                 r"(?i:tags))\s*[:：]", "tail"),
}

#: Frames glued to content, cut out of the line: name → regex of the cut.
INLINE_FRAMES: dict[str, str] = {
    # "شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك <first sentence>"
    "share-widget": (rf"^\s*(?:شارك(?:ها|وا)?|مشاركة)(?: (?:من خلال|عبر|على|في))?"
                     rf"(?:[ ،,|]+{_SOCIAL})+(?:[ ،,|]+(?:اكتب|أضف|اضف) "
                     rf"(?:رأيك|رايك|تعليقك|تعليقا|تعليق))?\s*"),
    "comment-widget": r"^\s*(?:أضف|اضف|اكتب) (?:تعليقك|رأيك|تعليقا)\s*$",
    # the link-back line glued to the last sentence: "... رابط الخبر بصحيفة <outlet>: <title>"
    "link-back": r"\s*رابط (?:الخبر|المقال|المادة) (?:بصحيفة|بموقع|في صحيفة|في موقع|على موقع)"
                 r" [^:：\n]{1,30}[:：].*$",
    # agency end markers, also glued to the last sentence: "... // انتهى //"
    "wire-marker": r"\s*//\s*(?:انتهى|يتبع)\s*//\s*",
}
TAG_SPLIT = r"\s*[،,|؛;/]\s*|\s{2,}"
TAG_MARKER = (r"^\s*(?:كلمات دلالية|الكلمات الدلالية|الوسوم|وسوم|الكلمات المفتاحية|"
              r"(?i:tags))\s*[:：]\s*")


_NO_TAGS = pl.lit([], pl.List(pl.String))


#: The ``clean.residue`` section of params.yaml (the typed model; defaults live there).
ResidueParams = Residue


def mask_expr(line: pl.Expr) -> pl.Expr:
    """Slots of a frame masked before folding: URLs, e-mail addresses (and, after folding,
    numbers; see :func:`akhbar.boilerplate.lines_frame`)."""
    return line.str.replace_all(URL, " url ").str.replace_all(EMAIL, " email ")


def has_month(line: pl.Expr) -> pl.Expr:
    return line.str.contains(MONTHS)


#: Every pattern above needs one of these words or characters: rows without any are
#: skipped whole (most articles), so the per-line regexes run on a fraction of the corpus.
_HINT = (r"(?i)رابط|شارك|مشاركة|مقالات|أخرى|اخرى|اقرأ|@|sms|رسالة|https?://|www\.|تصوير|عدسة|"
         r"صورة|كلمات|وسوم|الكلمات|tags|انتهى|يتبع|أضف|اضف|اكتب")


def strip_frames(df: pl.DataFrame, p: ResidueParams, text: str = "text"
                 ) -> tuple[pl.Series, pl.Series, pl.DataFrame]:
    """``df[text]`` without the frames, ``df["tags"]`` with recognised tag lists appended,
    and the removals: (__row, source, pattern, line)."""
    hint = df.get_column(text).fill_null("").str.contains(_HINT)
    if hint.all():
        return _strip_frames(df, p, text)
    if not hint.any():
        return df.get_column(text), df.get_column("tags"), pl.DataFrame(
            schema={"__row": pl.UInt32, "source": pl.String, "pattern": pl.String,
                    "line": pl.String})
    rows = hint.arg_true().cast(pl.UInt32)
    texts, tags, removed = _strip_frames(df.filter(hint), p, text)
    removed = removed.with_columns(rows.gather(removed.get_column("__row")).alias("__row"))
    sub = pl.DataFrame({"__row": rows, "__t": texts, "__g": tags, "__hit": True})
    out = (df.select(text, "tags").with_row_index("__row")
           .join(sub, on="__row", how="left", maintain_order="left")
           .select(pl.when(pl.col("__hit")).then(pl.col("__t")).otherwise(pl.col(text))
                   .alias(text),
                   pl.when(pl.col("__hit")).then(pl.col("__g")).otherwise(pl.col("tags"))
                   .alias("tags")))
    return out.get_column(text), out.get_column("tags"), removed


#: A literal every match of a costly pattern holds (Arabic letters have no case, so the
#: patterns' ``(?i)`` does not widen them): the pattern runs on the lines holding it only.
#: The slow patterns are those with ``\b`` or long bounded repeats on non-ASCII text.
_NEEDS = {"link-back": "رابط ", "sms-contact": "للتواصل|للاشتراك|أرسل|ارسل"}


def _contains(lines: pl.Series, name: str, regex: str) -> pl.Series:
    """``lines.str.contains(regex)`` (nulls false), run on the lines holding the pattern's
    required literal (:data:`_NEEDS`) only."""
    need = _NEEDS.get(name)
    if need is None:
        return lines.str.contains(regex).fill_null(False)
    mask = lines.str.contains(need).fill_null(False)
    if not mask.any():
        return mask
    return mask.scatter(mask.arg_true(),
                        lines.filter(mask).str.contains(regex).fill_null(False))


def _strip_frames(df: pl.DataFrame, p: ResidueParams, text: str
                  ) -> tuple[pl.Series, pl.Series, pl.DataFrame]:
    lines = (  # the split once, as a column (eager polars shares no subexpression)
        df.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
                  pl.col("source").fill_null("").cast(pl.String),
                  pl.col(text).fill_null("").str.split("\n").alias("line"))
        .with_columns(pl.col("line").list.len().cast(pl.UInt32).alias("n"))
        .with_columns(pl.int_ranges(0, pl.col("n"), dtype=pl.UInt32).alias("no"))
        .explode("line", "no")
        .select("__row", "source", "line", "no", "n")
    )
    # every pattern needs a hint word on its line: the patterns run on those lines only
    # (positions were counted on all lines above) and their results are scattered back
    hinted = lines.get_column("line").str.contains(_HINT).fill_null(False)
    at = hinted.arg_true()
    cand = lines.filter(hinted).with_columns(at.alias("__at"))
    line = cand.get_column("line")
    no, last = cand.get_column("no"), cand.get_column("n") - 1 - cand.get_column("no")
    where = {"edge": (no <= 1) | (last <= 1), "tail": last <= 2}
    pattern = pl.repeat(None, cand.height, dtype=pl.String, eager=True)
    free = pl.repeat(True, cand.height, dtype=pl.Boolean, eager=True)
    for name, (regex, at_) in LINE_FRAMES.items():  # the first pattern that matches wins
        hit = _contains(line, name, regex) & free
        if at_ != "any":
            hit = hit & where[at_]
        if hit.any():
            pattern = pattern.scatter(hit.arg_true(), name)
            free = free & ~hit
    cand = cand.with_columns(pattern.alias("pattern"))
    removed = [cand.filter(pl.col("pattern").is_not_null())
               .select("__row", "source", "pattern", "line")]
    kept = cand.filter(pl.col("pattern").is_null())
    line = kept.get_column("line")
    for name, regex in INLINE_FRAMES.items():
        hit = _contains(line, name, regex)
        if not hit.any():
            continue
        cut = kept.filter(hit)
        removed.append(cut.select("__row", "source", pl.lit(name).alias("pattern"),
                                  pl.col("line").str.extract(f"({regex})")
                                  .str.strip_chars().alias("line")))
        repl = " " if name == "wire-marker" else ""
        new = cut.select(pl.col("line").str.replace_all(regex, repl).str.strip_chars(" ")
                         .replace("", "\u0000")).get_column("line")
        line = line.scatter(hit.arg_true(), new)
    framed = (pl.repeat(False, lines.height, dtype=pl.Boolean, eager=True)
              .scatter(at, cand.get_column("pattern").is_not_null()))
    changed_lines = line != kept.get_column("line")
    lines = lines.with_columns(lines.get_column("line").scatter(kept.get_column("__at"), line))
    removed_df = pl.concat(removed)
    # the rows that lost or changed a line are joined again; the others keep their text
    touched = pl.concat([removed_df.get_column("__row"),
                         kept.get_column("__row").filter(changed_lines)]).unique()
    tags = (removed_df.filter(pl.col("pattern") == "tag-list")
            .select("__row", pl.col("line").str.replace(TAG_MARKER, "")
                    .str.replace_all(TAG_SPLIT, "\u0001").str.split("\u0001").alias("t"))
            .explode("t").with_columns(pl.col("t").str.strip_chars())
            .filter((pl.col("t").str.len_chars() > 0)
                    & (pl.col("t").str.count_matches(" ") < p.max_tag_words))
            .group_by("__row", maintain_order=True).agg(pl.col("t").unique(maintain_order=True)))
    # a line emptied by a cut goes; a blank line of the input stays (a paragraph break)
    joined = (lines.filter(~framed & pl.col("__row").is_in(touched.implode())
                           & (pl.col("line") != "\u0000"))
              .group_by("__row", maintain_order=True)
              .agg(pl.col("line").str.join("\n").alias("__new")))
    base = df.select(pl.col(text), pl.col("tags"),
                     pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"))
    out = (base.join(joined, on="__row", how="left", maintain_order="left")
           .join(tags, on="__row", how="left", maintain_order="left")
           .with_columns(pl.col("__row").is_in(touched.implode()).alias("__touched"))
           .select(pl.when(pl.col(text).is_null()).then(None)
                   .when(pl.col("__touched")).then(pl.col("__new").fill_null(""))
                   .otherwise(pl.col(text)).alias(text),
                   pl.when(pl.col("t").is_null()).then(pl.col("tags"))
                   .otherwise(pl.concat_list(pl.col("tags").fill_null(_NO_TAGS), pl.col("t"))
                              .list.unique(maintain_order=True)).alias("tags")))
    texts = out.get_column(text)
    runs = (texts.str.contains("\n\n\n", literal=True) | texts.str.starts_with("\n")
            | texts.str.ends_with("\n")).fill_null(False)
    if runs.any():  # blank lines: at most one in a row, none at either end
        texts = texts.scatter(runs.arg_true(), texts.filter(runs)
                              .str.replace_all(r"\n{3,}", "\n\n").str.strip_chars("\n"))
    return texts, out.get_column("tags"), removed_df


class ResidueReport:
    """Removals per source and pattern (frames of :mod:`akhbar.residue` and the per-source
    ``repeated-line`` boilerplate), with a bounded sample: the first
    ``samples_per_pattern`` removed lines of each (source, pattern) in input order, at
    most ``max_samples`` in all (deterministic: input order only)."""

    def __init__(self, p: ResidueParams) -> None:
        self.p = p
        self.counts: Counter[tuple[str, str]] = Counter()
        self.samples: dict[tuple[str, str], list[str]] = {}

    def add(self, removed: pl.DataFrame) -> None:
        if removed.is_empty():
            return
        for src, pat, n in removed.group_by("source", "pattern").len().iter_rows():
            self.counts[(src, pat)] += int(n)
        heads = (removed.group_by("source", "pattern", maintain_order=True)
                 .head(self.p.samples_per_pattern))
        for src, pat, line in heads.select("source", "pattern", "line").iter_rows():
            got = self.samples.setdefault((src, pat), [])
            if len(got) < self.p.samples_per_pattern:
                got.append(line)

    def merge(self, other: ResidueReport) -> None:
        """Add ``other``'s counts and samples (a later part of the input) to these: the
        samples stay the first ones in input order when parts merge in input order."""
        self.counts.update(other.counts)
        for key, lines in other.samples.items():
            got = self.samples.setdefault(key, [])
            got.extend(lines[:max(0, self.p.samples_per_pattern - len(got))])

    def to_dict(self) -> dict[str, Any]:
        per_source: dict[str, dict[str, int]] = {}
        for (src, pat), n in sorted(self.counts.items()):
            per_source.setdefault(src, {})[pat] = n
        # round robin: every (source, pattern)'s first line before any second one
        ranked = sorted((k, (s, p), line) for (s, p), lines in self.samples.items()
                        for k, line in enumerate(lines))
        samples = [{"source": s, "pattern": p, "line": line[:300]}
                   for _, (s, p), line in ranked[:self.p.max_samples]]
        samples.sort(key=lambda d: (d["source"], d["pattern"]))
        return {"per_source": per_source, "samples": samples}
