"""The batched automaton walk of akhbar.langid gives exactly py3langid's own answers."""

from __future__ import annotations

import random
import re
from functools import lru_cache

import polars as pl
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from akhbar import langid, quality

# Own sentences: Arabic, Persian, Urdu, English, mixed, short, Arabic with an English
# paragraph, diacritics, upper case, decomposed Latin, digits only, symbols only.
MIXED = [
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المدينة يضم مئتي سرير.",
    "قال المتحدث باسم الشركة إن الأرباح ارتفعت خلال الربع الأخير من العام.",
    "این گزارش درباره‌ی بازار کتاب در شهرهای کوچک است و چند پیشنهاد دارد.",
    "دیروز باران شدیدی بارید و چند خیابان بسته شد.",
    "یہ رپورٹ شہر کے بڑے اسپتال کے بارے میں ہے جہاں نئے ڈاکٹر آئے ہیں۔",
    "کل بارش کی وجہ سے کئی سڑکیں بند رہیں۔",
    "The ministry opened a new hospital with two hundred beds this morning.",
    "افتتح الوزير المعرض\nThe exhibition runs until Friday and entry is free for students.",
    "وقّع الطرفانِ الاتفاقيةَ بعد مفاوضاتٍ طويلة.",
    "مرحبا", "نعم", "a", "OK", "ب", "", "2024 - 15/3", "!!! ... ???", "• • •",
    "BREAKING NEWS FROM THE CAPITAL",
    "Cafe\u0301 au lait et cre\u0300me brûlée",
    "Der Minister eröffnete heute ein neues Krankenhaus.",
    "Министр открыл новую больницу.",
    "انتهى // WAS // 12:30 GMT",
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المدينة يضم مئتي سرير.",  # repeat
]


@lru_cache(maxsize=1)
def _py3langid() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def reference(texts: list[str]) -> list[tuple[str, float]]:
    """py3langid's public per-text API (an identifier of its own, not akhbar's)."""
    ident = _py3langid()
    letter = re.compile(r"[^\W\d_]")
    return [(lambda r: (r[0], float(r[1])))(ident.classify(t)) if letter.search(t)
            else ("und", 0.0) for t in texts]


def test_batched_walk_matches_py3langid_on_mixed_languages() -> None:
    got = langid.classify(MIXED)
    want = reference(MIXED)
    assert got == want  # exact floats, not approximately
    labels = dict(zip(MIXED, (lang for lang, _ in got), strict=True))
    assert labels[MIXED[0]] in {"ar", "arz", "ary"}
    assert labels[MIXED[2]] == "fa"
    assert labels[MIXED[4]] == "ur"
    assert labels[MIXED[6]] == "en"
    assert labels[""] == "und"


def test_chunks_and_batch_order_do_not_change_answers(monkeypatch) -> None:
    rng = random.Random(7)
    words = " ".join(MIXED).split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 60)))
             for _ in range(120)]
    monkeypatch.setattr(langid, "CHUNK", 17)
    assert langid.classify(texts) == reference(texts)
    shuffled = texts[::-1]
    assert langid.classify(shuffled) == reference(shuffled)


def test_random_characters_match_py3langid() -> None:
    """Arbitrary code points (Arabic presentation forms, emoji, combining marks, CJK):
    the byte walk must agree with py3langid on any UTF-8."""
    rng = random.Random(11)
    pools = [range(0x20, 0x7F), range(0x600, 0x700), range(0xFB50, 0xFDFF),
             range(0x300, 0x370), range(0x4E00, 0x4E80), range(0x1F600, 0x1F650)]
    texts = ["".join(chr(rng.choice(rng.choice(pools))) for _ in range(rng.randint(1, 200)))
             for _ in range(80)]
    assert langid.classify(texts) == reference(texts)


def test_language_columns_are_the_model_only_columns() -> None:
    """What the filter stage writes (lang, lang_score) equals the per-text model."""
    series = pl.Series("text", [*MIXED, None])
    got = quality.language(series, prefix_chars=30)
    prefixes = series.fill_null("").str.slice(0, 30).to_list()
    want = reference(prefixes)
    assert got.get_column("lang").to_list() == [w[0] for w in want]
    assert got.get_column("lang_score").to_list() == [w[1] for w in want]


@pytest.mark.parametrize("texts", [[], ["", "123"]])
def test_batches_without_letters(texts: list[str]) -> None:
    assert langid.classify(texts) == [("und", 0.0)] * len(texts)


def test_threads_classifying_at_once_get_their_own_answers() -> None:
    """The quality stage runs the language id in a thread; concurrent callers share the
    identifier's walk state, which must not leak between them."""
    from concurrent.futures import ThreadPoolExecutor

    batches = [MIXED[i:] + MIXED[:i] for i in range(6)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        got = list(pool.map(langid.classify, batches))
    assert got == [reference(b) for b in batches]


def test_unpacked_model_cache_gives_the_same_answers(monkeypatch, tmp_path) -> None:
    """The first process unpacks py3langid's model into the cache folder, later ones map
    it: both give py3langid's own answers; an unwritable cache is skipped."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    langid._tables.cache_clear()
    try:
        first = langid.classify(MIXED)
        folder = langid._cache_dir()
        assert folder is not None and (folder / "ptc32.npy").is_file()
        assert folder.parent == tmp_path / "cache" / "akhbar"
        langid._tables.cache_clear()
        mapped = langid._tables()
        assert not mapped.ptc32.flags.owndata  # a view of the mapped file, not unpacked
        assert langid.classify(MIXED) == first == reference(MIXED)
        # a damaged cache file is not used: the model is unpacked again
        with (folder / "nb_pc.npy").open("r+b") as f:
            f.seek(-4, 2)
            f.write(b"\x00\x00\x80\x7f")
        langid._tables.cache_clear()
        assert langid._tables().ptc32.flags.owndata
        assert langid.classify(MIXED) == first
        (tmp_path / "ro").write_text("a file where the cache folder would go")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "ro"))
        langid._tables.cache_clear()
        assert langid.classify(MIXED) == first
    finally:
        langid._tables.cache_clear()
