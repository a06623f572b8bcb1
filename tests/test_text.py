"""akhbar.text: the normalization chain, folding, yeh evidence, change counts."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from akhbar.chars import INTRA_WORD_TATWEEL
from akhbar.folding import fold, fold_expr, strip_diacritics, strip_diacritics_expr
from akhbar.text import (
    COUNT_KINDS,
    build_yeh_evidence,
    normalize,
    normalize_expr,
    normalize_frame,
    normalize_with_counts,
    presentation_map,
    yeh_word_counts,
)

TATWEEL, NBSP, ZWSP, RLM, LRE, PDF, SHY = "\u0640", "\u00a0", "\u200b", "\u200f", "\u202a", \
    "\u202c", "\u00ad"
FA_YEH, KEHEH = "\u06cc", "\u06a9"


def fa(word: str) -> str:
    """The same word typed on a Persian keyboard: ي/ى → ی, ك → ک."""
    return word.replace("ي", FA_YEH).replace("ى", FA_YEH).replace("ك", KEHEH)


# ----------------------------------------------------------------- entities
@pytest.mark.parametrize(("raw", "want"), [
    ("قال &quot;نعم&quot; &amp; مضى", 'قال "نعم" & مضى'),
    ("&#1587;&#1604;&#1575;&#1605;", "سلام"),
    ("&#x633;&#x644;&#x627;&#x645;", "سلام"),
    ("&amp;quot;مرحبا&amp;quot;", '"مرحبا"'),  # double-escaped
    ("&lt;b&gt; ثم &raquo;", "<b> ثم »"),
    ("&bogus; يبقى", "&bogus; يبقى"),  # not an entity: left alone
])
def test_entities(raw: str, want: str) -> None:
    assert normalize(raw) == want


# ----------------------------------------------------------------- presentation forms
def test_presentation_forms_to_letters() -> None:
    assert normalize("\ufedf\ufef7\ufee3\ufe8e\ufee5") == "للأمان"  # ﻟﻷﻣﺎﻥ
    assert normalize("\ufefb") == "لا"
    assert normalize("بسم \ufdf2") == "بسم الله"  # the Allah ligature keeps the word
    assert normalize("النبي \ufdfa") == "النبي صلى الله عليه وسلم"
    # an isolated mark form becomes the bare mark on the previous letter, no space
    assert normalize("كتاب\ufe70") == "كتاب\u064b"


def test_presentation_map_only_covers_presentation_blocks() -> None:
    table = presentation_map()
    assert all(0xFB50 <= ord(k) <= 0xFDFF or 0xFE70 <= ord(k) <= 0xFEFE for k in table)
    assert "\ufeff" not in table  # the BOM is an invisible, removed elsewhere
    # other compatibility characters are NOT folded (NFKC of those code points only)
    assert normalize("x² ﬁ …") == "x² ﬁ …"
    # forms without a decomposition (ornate parentheses, the bismillah sign) stay, uncounted
    assert normalize_with_counts("﴿ﻻ﴾ ﷽") == ("﴿لا﴾ ﷽", {
        **dict.fromkeys(COUNT_KINDS, 0), "presentation_forms_folded": 1})


# ----------------------------------------------------------------- invisibles, spaces
def test_tatweel_controls_soft_hyphen_removed() -> None:
    raw = f"مر{TATWEEL}{TATWEEL}حبا{ZWSP} بكم{RLM} في{LRE}الرياض{PDF} غد{SHY}ا\ufeff"
    assert normalize(raw) == "مرحبا بكم فيالرياض غدا"


def test_spaces_and_paragraphs() -> None:
    raw = f"  سطر{NBSP}{NBSP}أول \t هنا  \r\n\r\n\n   سطر\u2003ثان  \u2029ثالث\n\n"
    # a blank line between paragraphs is kept (a run of them becomes one)
    assert normalize(raw) == "سطر أول هنا\n\nسطر ثان\nثالث"
    assert normalize("فقرة أولى\n \n\n\t\nفقرة ثانية") == "فقرة أولى\n\nفقرة ثانية"


@pytest.mark.parametrize(("raw", "expected"), [
    ("كتـــاب", "كتاب"),  # intra-word elongation: typography only
    ("كـتـاَـب", "كتاَب"),  # several runs in one word, one after a mark
    ("سنة 1436 هـ", "سنة 1436 هـ"),  # the Hijri year marker after a number stays
    ("سنة 1436هـ", "سنة 1436هـ"),
    ("عام 2015 مـ", "عام 2015 مـ"),  # the Gregorian marker too
    ("عام 2015مــــ", "عام 2015مـ"),  # a kept run is one tatweel
    ("بـ 50 ريالا", "بـ 50 ريالا"),  # a detached preposition before a number
    ("عام 1437 هـالموافق 2016", "عام 1437 هـ الموافق 2016"),  # a glued marker gets a space
    ("الفترة 2013 ــ 2022", "الفترة 2013 - 2022"),  # a run used as a dash
    ("ـــ البند الأول\nـــ البند الثاني", "- البند الأول\n- البند الثاني"),
    ("المدينة ـ جدة", "المدينة - جدة"),
    ("نهاية الخبر ـــــ\nسطر تال", "نهاية الخبر\nسطر تال"),  # a trailing rule: removed
    ("\u0640 \u00a0", ""),
])
def test_tatweel_keeps_meaning(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize(expected) == expected  # idempotent
    assert not re.search(INTRA_WORD_TATWEEL, normalize(raw))  # what validation forbids


def test_intra_word_tatweel_regex_is_what_validation_forbids() -> None:
    from akhbar.expectations_suites import FORBIDDEN
    assert FORBIDDEN["tatweel"] == INTRA_WORD_TATWEEL
    assert re.search(INTRA_WORD_TATWEEL, "كتـــاب") and re.search(INTRA_WORD_TATWEEL, "كتـَاب")
    for kept in ("1436 هـ", "2015مـ", "بـ 50", "2013 - 2022"):
        assert not re.search(INTRA_WORD_TATWEEL, kept)


def test_tatweel_counts() -> None:
    _, counts = normalize_with_counts("كتـــاب 2013 ــ 2022 في 1436 هـ")
    assert counts["tatweel_removed"] == 5  # 3 intra-word + 2 of the dash run; هـ kept


# ----------------------------------------------------------------- Persian letters
def test_persian_yeh_and_keheh_inside_words() -> None:
    assert normalize(fa("الخارجية")) == "الخارجية"
    assert normalize(fa("كتاب")) == "كتاب"
    assert normalize(fa("في")) == "في"  # default for a final yeh: ي
    assert normalize(fa("على") + " " + fa("إلى")) == "على إلى"  # built-in alef-maqsura words
    assert normalize(fa("وعلى") + " " + fa("المستشفى")) == "وعلى المستشفى"
    # a kasra before the final yeh means ي even on a listed word (عَلِيّ, the name)
    assert normalize("عَلِ" + FA_YEH) == "عَلِي"
    assert normalize("عَلَ" + FA_YEH) == "عَلَى"


def test_yeh_evidence_decides_the_final_form() -> None:
    corpus = pl.Series(["علي جاء ثم علي ذهب ثم علي", "على الطاولة", fa("علي"),
                        "مرمي", "مرمي", fa("مرمى")])
    evidence = build_yeh_evidence(corpus)
    # "علي" (3) beats "على" (1): the corpus overrides the built-in list here
    assert evidence[fa("علي")] == "علي"
    assert evidence[fa("مرمى")] == "مرمي"
    assert normalize(fa("علي"), evidence) == "علي"
    assert normalize(fa("علي")) == "على"  # without evidence, the built-in list decides
    # min_evidence=3: علي (3 times) still decides, مرمي (twice) no longer does
    assert fa("علي") in build_yeh_evidence(corpus, min_evidence=3)
    assert fa("مرمى") not in build_yeh_evidence(corpus, min_evidence=3)


def test_yeh_word_counts_keeps_final_farsi_yeh_undecided() -> None:
    counts = yeh_word_counts(pl.Series([fa("الذي في") + " فى، الذي", None]))
    got = dict(zip(counts["word"].to_list(), counts["n"].to_list(), strict=True))
    assert got == {fa("الذي"): 1, fa("في"): 1, "فى": 1, "الذي": 1}


def test_persian_passage_left_alone_but_counted() -> None:
    persian = fa("این کتاب را من از دوست خریدم و گفت که خوب است")
    arabic = fa("أعلنت شركة") + " گوگل " + fa("في بيان رسمي")
    text, counts = normalize_with_counts(persian + "\n" + arabic)
    lines = text.split("\n")
    assert lines[0] == persian  # Persian line: untouched
    assert lines[1] == "أعلنت شركة گوگل في بيان رسمي"  # Arabic line: mapped, گ kept
    assert counts["persian_only_letters_seen"] == 3  # گ in گفت, گوگل ×2
    assert counts["persian_lines_kept"] == 1
    assert counts["persian_letters_mapped"] == fa(arabic).count(FA_YEH) + fa(arabic).count(
        KEHEH)


# ----------------------------------------------------------------- counts
def test_counts_per_kind() -> None:
    raw = (f"&amp; \ufefb مر{TATWEEL}حبا{RLM}{ZWSP}{NBSP}{NBSP}" + fa("في") + " گل"
           + "\n\n")
    text, counts = normalize_with_counts(raw)
    assert text == "& لا مرحبا في گل"
    assert set(counts) == set(COUNT_KINDS)
    assert counts == {
        "entities_unescaped": 1,
        "presentation_forms_folded": 1,
        "tatweel_removed": 1,
        "invisible_removed": 2,
        "persian_letters_mapped": 1,
        "persian_only_letters_seen": 1,
        "persian_lines_kept": 0,
        "spaces_normalized": 2 + 1 + 2,  # 2 NBSP; one of them dropped; 2 trailing \n
    }


def test_normalize_frame_matches_expr_and_string_api() -> None:
    texts = [f"ﻻ مر{TATWEEL}حبا {fa('في')}", None, "", "&#1575;\r\n\r\nب"]
    df = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    by_frame, counts = normalize_frame(df, "t")
    by_expr = df.select(normalize_expr(pl.col("t")))
    assert by_frame["t"].to_list() == by_expr["t"].to_list()
    assert by_frame["t"].to_list() == ["لا مرحبا في", None, "", "ا\n\nب"]
    assert [normalize(t) for t in texts if t is not None] == ["لا مرحبا في", "", "ا\n\nب"]
    assert counts["presentation_forms_folded"] == 1 and counts["entities_unescaped"] == 1


def test_normalize_in_list_columns() -> None:
    df = pl.DataFrame({"tags": [[f"ﺍﻟ{TATWEEL}ﺮﻳﺎﺽ", fa("كرة")], None, []]})
    out = df.select(pl.col("tags").list.eval(normalize_expr(pl.element())))
    assert out["tags"].to_list() == [["الرياض", "كرة"], None, []]


# ----------------------------------------------------------------- diacritics, fold
def test_diacritics_kept_by_normalize_and_stripped_on_demand() -> None:
    word = "كَتَبَ الطّالِبُ دَرْساً"
    assert normalize(word) == word
    assert strip_diacritics(word) == "كتب الطالب درسا"
    s = pl.Series([word, None])
    assert pl.select(strip_diacritics_expr(pl.lit(s))).to_series().to_list() == [
        "كتب الطالب درسا", None]


def test_fold() -> None:
    assert fold("أَحمد، إلى مدرسةِ «الرؤى» آمنة؟") == "احمد الي مدرسه الروي امنه"
    assert fold("مسئول ٱلقرآن") == "مسيول القران"
    assert fold("// انتهى //") == fold("//انتهى//") == fold("انتهى") == "انتهي"
    assert fold(f"رقم ٣٤ و{fa('كيف')} SMS") == "رقم 34 و" + "كيف" + " sms"
    assert fold(f"مر{TATWEEL}حبا\n\n  بكم") == "مرحبا بكم"
    s = pl.Series(["إلى؛ هنا", None])
    assert pl.select(fold_expr(pl.lit(s))).to_series().to_list() == ["الي هنا", None]


# ----------------------------------------------------------------- idempotence
_PIECES = [
    "ال", "كتاب", "في", "على", "ة", "ى", "ي", "أ", "ؤ", "ئ", "َ", "ِ", "ّ", "ً",
    TATWEEL, ZWSP, RLM, LRE, PDF, SHY, "\ufeff", "\u2066", "\u061c", NBSP, "\u2003",
    " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u2028",
    FA_YEH, KEHEH, "گ", "پ", "چ", "ژ", "که", "را", "است",
    "\ufefb", "\ufdf2", "\ufdfa", "\ufe70", "\ufe71", "\ufe8d", "\ufedf", "\ufbfc", "\ufb8e",
    "&amp;", "&quot;", "&#1575;", "&#x644;", "&amp;lt;", "&", "#", ";", "amp", "&#",
    "&nbsp;", "&#8207;", "&#1600;", "x", "1", "،", "؟", ".",
]
arabicish = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(arabicish)
@example("&&#8207;amp;quot;")  # an entity decoding to a control inside another entity
@example("&am\u200bp;amp;")  # a control splitting an entity
@example("\ufdfc \ufe71" + fa("في"))  # rial sign → ریال (Farsi yeh from NFKC)
def test_normalize_is_idempotent(s: str) -> None:
    once = normalize(s)
    assert normalize(once) == once


@settings(max_examples=100, deadline=None)
@given(arabicish)
def test_fold_is_idempotent_and_normalize_stable(s: str) -> None:
    folded = fold(normalize(s))
    assert fold(folded) == folded
    assert "  " not in folded and TATWEEL not in folded


def test_a_batch_normalizes_each_row_as_that_row_alone() -> None:
    """The tatweel and presentation steps work on the rows that hold such characters
    only; a batch of mostly plain rows gives every row what it gives on its own."""
    special = ["كتـــاب 1436 هـ", "ﻻ إله ﷲ\u200b", "2013 ــ 2022 \u00a0 نص", "&amp;quot;ﺑ&#1600;",
               "سطر \n سطر ثان", None, "ـــ بداية"]
    plain = [f"خبر عادي رقم {i} عن الطقس" for i in range(30)]
    rows = plain[:10] + special + plain[10:]
    got = pl.DataFrame({"t": rows}, schema={"t": pl.String}).select(
        normalize_expr(pl.col("t"))).to_series().to_list()
    assert got == [None if r is None else normalize(r) for r in rows]
    assert got[10] == "كتاب 1436 هـ" and got[11].startswith("لا إله الله")


def test_a_batch_counts_what_its_rows_count_alone() -> None:
    """The counts are taken on the rows each step can change only: on a batch of mostly
    plain rows they add up to the counts of each row alone, the text included. Entities
    decoding to what a later step changes (a presentation form, NBSP, tatweel, ZWSP)
    are among the rows (their decoding, not a scan, makes them rows to look at)."""
    special = [f"كتـــاب&nbsp;جديد{ZWSP} ﻻ&#xFEFB;&amp;quot;", f"{NBSP}سنة 1436 هـ&#1600;الموافق\t",
               f"ﻣﺮﺣﺒﺎ\u2003بكم &#8203;{fa('في')} {KEHEH}تاب", "",
               f"این کتاب است که را از برای من\n{fa('علي')} في گل", None,
               f"2013 ــ 2022\r\nسطر\u2028ثان\n\n\n\nثالث {SHY}", "&bogus; &#xZZ; & نص",
               "نص&nbsp;&nbsp;&#xFEFB;&#8203;"]
    plain = [f"خبر عادي رقم {i} عن الطقس" for i in range(30)]
    rows = plain[:12] + special + plain[12:]
    df = pl.DataFrame({"t": rows}, schema={"t": pl.String})
    got, counts = normalize_frame(df, "t")
    alone = [normalize_with_counts(r) for r in rows if r is not None]
    assert [t for t in got["t"].to_list() if t is not None] == [t for t, _ in alone]
    assert counts == {k: sum(c[k] for _, c in alone) for k in COUNT_KINDS}
    assert all(counts[k] > 0 for k in COUNT_KINDS)
    assert got["t"][12 + len(special) - 1] == "نص لا"  # decoded NBSP, ﻻ and ZWSP


# ----------------------------------------------------------------- line-local shortcuts
_LINEY = st.lists(st.sampled_from([
    "كتاب", "ب", "ه", "م", TATWEEL, TATWEEL * 3, " ", "  ", "\n", "\n\n\n", "\r\n", "\r",
    "\u2028", NBSP, "\t", "1436", "٢٠", "َ", "«", "-", "x", FA_YEH, KEHEH, fa("علي"),
    fa("في"), "است", "که", "را", "گ",
]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINEY, min_size=1, max_size=6))
@example(["a\n" + TATWEEL, TATWEEL + "\nب", "ب\n" + TATWEEL * 2 + " \nه" + TATWEEL + "ب"])
def test_line_local_steps_equal_their_rules_on_the_whole_text(texts: list[str]) -> None:
    """The tatweel rules and the Persian step run on the lines holding their character
    only, the spaces step on the rows a few literal scans pick: each equals its rules
    run on every row, whole."""
    from akhbar import text
    from akhbar.chars import PERSIAN_MAPPED
    from akhbar.persian import _map_persian, persian_line, persian_series

    s = pl.Series([*texts, None], dtype=pl.String)
    assert text._tatweel_series(s).to_list() == text._tatweel_rules(s).to_list()
    spaced = s.str.contains(text.SPACE_LIKE).fill_null(False)
    assert text._spaces_series(s, spaced).to_list() == text._spaces_series(s).to_list()
    el = pl.element()
    for evidence, keep in [(None, True), ({fa("علي"): "على"}, False)]:
        whole = (s.to_frame("t").select(
            pl.col("t").str.split("\n").list.eval(
                pl.when(persian_line(el)).then(el).otherwise(_map_persian(el, evidence, keep)))
            .list.join("\n")).to_series())
        mask = s.str.contains(PERSIAN_MAPPED).fill_null(False)
        want = [w if m else t for w, m, t in zip(whole, mask, s, strict=True)]
        assert persian_series(s, evidence, keep).to_list() == want


@settings(max_examples=100, deadline=None)
@given(st.lists(arabicish, min_size=1, max_size=5))
def test_base_then_persian_steps_equal_the_whole_chain(texts: list[str]) -> None:
    """The clean stage runs steps 1-4 in its first pass and the Persian step in its
    second: together, the same text and the same counts as the whole chain."""
    df = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    evidence = {fa("علي"): "على"}
    whole, counts = normalize_frame(df, "t", evidence)
    base, c1 = normalize_frame(df, "t", steps="base")
    done, c2 = normalize_frame(base, "t", evidence, steps="persian")
    assert done.equals(whole)
    assert {k: c1[k] + c2[k] for k in COUNT_KINDS} == counts
    expr = df.select(normalize_expr(normalize_expr(pl.col("t"), steps="base"), evidence,
                                    steps="persian")).to_series()
    assert expr.to_list() == whole.get_column("t").to_list()
