"""The embedded sample corpus (data/raw/sample) has the shape the pipeline is built against.

These tests read the raw files with the standard library only, so they check the corpus
itself (formats, encodings, noise, planted duplicates and rejects) independently of the
pipeline code that is meant to process it. data/raw/sample/README.md documents each case.
"""

from __future__ import annotations

import email.utils
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw" / "sample"
PAGES = SAMPLE / "pages"
SNN = SAMPLE / "saudinewsnet-like"
SNN_KEYS = {"source", "url", "date_extracted", "title", "author", "content"}
JSONL_KEYS = {"url", "title", "text", "published"}

WEEKDAY = "(?:الاثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|السبت|الأحد)"
PUBLISHED = re.compile(rf"نشر {WEEKDAY}، [0-9٠-٩]{{1,2}} ")
FOOTER = "All Rights Reserved"
READ_ALSO = re.compile(r"^(?:إقرأ|اقرأ) (?:أيضاً|أيضا):$", re.M)
RELATED = "مقالات مشابهة"
BULLET = re.compile(r"^  • \S")
DIACRITICS_TATWEEL = re.compile("[\u064b-\u0652\u0640]")
ARABIC_LETTER = re.compile("[\u0621-\u064a]")
LATIN_LETTER = re.compile("[A-Za-z]")


def decode_page(raw: bytes) -> str:
    """Decode an aggregator page the way its bytes say: BOM, else UTF-8, else cp1256."""
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1256")


def load_pages() -> dict[str, str]:
    return {
        p.name: decode_page(p.read_bytes()).replace("\r\n", "\n")
        for p in sorted(PAGES.glob("*.txt"))
    }


def load_snn() -> list[dict]:
    records = json.loads((SNN / "2023-05-01.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(SNN / "2023-05-02.zip") as zf:
        for name in zf.namelist():
            records += json.loads(zf.read(name).decode("utf-8"))
    return records


def jsonl_lines() -> list[str]:
    (path,) = sorted((SAMPLE / "jsonl").glob("*.jsonl"))
    return path.read_text(encoding="utf-8").splitlines()


def valid_jsonl() -> list[dict]:
    out = []
    for line in jsonl_lines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def trec_docs() -> list[str]:
    (path,) = sorted((SAMPLE / "trec").glob("*.sgml"))
    return re.findall(r"<DOC id=\"[^\"]+\"[^>]*>.*?</DOC>", path.read_text("utf-8"), re.S)


def trec_paragraphs(doc: str) -> list[str]:
    return [p.strip() for p in re.findall(r"<P>(.*?)</P>", doc, re.S)]


def html_paragraphs(path: Path) -> list[str]:
    article = re.search(r"<article>(.*?)</article>", path.read_text("utf-8"), re.S)
    assert article, path
    return re.findall(r"<p>(.*?)</p>", article.group(1), re.S)


def page_body(text: str) -> list[str]:
    """Body paragraphs of a page: before `نشر <weekday>`, cut after the last full stop."""
    marker = PUBLISHED.search(text)
    assert marker, "no publish marker"
    head = text[: marker.start()]
    head = head[: head.rfind(".") + 1]
    return [p.strip() for p in head.split("\n\n") if p.strip()]


def read_also_body(text: str) -> list[str]:
    """Paragraphs of the appended article: after the header and its title line."""
    block = READ_ALSO.split(text, maxsplit=1)[1].split(RELATED)[0]
    paragraphs = [p.strip() for p in block.split("\n\n") if p.strip()]
    return paragraphs[1:]  # paragraphs[0] is the title


def norm(text: str) -> str:
    return " ".join(DIACRITICS_TATWEEL.sub("", text).split())


def words(text: str) -> list[str]:
    return re.findall(r"\w+", norm(text))


def jaccard(a: str, b: str, k: int = 5) -> float:
    def shingles(t: str) -> set[tuple[str, ...]]:
        w = words(t)
        return {tuple(w[i : i + k]) for i in range(len(w) - k + 1)}

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


# --------------------------------------------------------------------------- formats / counts


def test_file_counts_per_format() -> None:
    assert len(list(PAGES.glob("*.txt"))) >= 14
    assert len(list((SAMPLE / "html").glob("*.html"))) >= 4
    assert len(list((SAMPLE / "trec").glob("*.sgml"))) == 1
    assert (SNN / "2023-05-01.json").is_file() and (SNN / "2023-05-02.zip").is_file()
    assert len(trec_docs()) == 3
    assert len(load_snn()) >= 20


def test_at_least_48_article_records() -> None:
    n = (
        len(load_pages())
        + len(load_snn())
        + len(list((SAMPLE / "html").glob("*.html")))
        + len(trec_docs())
        + len(valid_jsonl())
    )
    assert n >= 48


def test_total_size_under_one_megabyte() -> None:
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 1_000_000


def test_readme_documents_every_data_file() -> None:
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    for path in SAMPLE.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert path.name in readme, f"{path.name} not described in README.md"
    assert "CC0" in readme


# --------------------------------------------------------------------------- encodings


def test_cp1256_page_is_not_utf8_but_decodes_as_cp1256() -> None:
    raw = (PAGES / "p15-cp1256.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1256")
    assert "المصدر:" in text and "\r\n" in text
    assert len(ARABIC_LETTER.findall(text)) > 1000


def test_utf16_page_starts_with_a_bom() -> None:
    raw = (PAGES / "p16-utf16.txt").read_bytes()
    assert raw[:2] == b"\xff\xfe"
    assert "المصدر:" in raw[2:].decode("utf-16-le")


def test_other_pages_are_utf8() -> None:
    for path in PAGES.glob("p*.txt"):
        if path.name not in {"p15-cp1256.txt", "p16-utf16.txt"}:
            path.read_bytes().decode("utf-8")  # raises if not


# --------------------------------------------------------------------------- aggregator pages


def test_every_page_has_source_keywords_and_a_publish_footer() -> None:
    glued = own_line = 0
    for name, text in load_pages().items():
        assert "\n\nالمصدر: " in text, name
        assert "\n\nكلمات دلالية: " in text, name
        marker = PUBLISHED.search(text)
        assert marker and FOOTER in text, name
        line = text[text.rfind("\n", 0, marker.start()) + 1 : text.find("\n", marker.start())]
        if re.search(r"\.\S*نشر ", line):  # the sentence, tags and date share one line
            glued += 1
        else:
            own_line += 1
        body = page_body(text)
        assert 4 <= len(body) <= 8, name
        assert 80 <= len(words(" ".join(body))) <= 300, name
    assert glued >= 10 and own_line >= 3


def test_page_variants_are_present() -> None:
    pages = load_pages()
    texts = list(pages.values())
    keywords = [re.search(r"^كلمات دلالية: (.*)$", t, re.M).group(1) for t in texts]
    assert sum(bool(re.search("[\u0621-\u064a]ی|ی[\u0621-\u064a]", k)) for k in keywords) >= 2
    datelines = [t for t in texts if re.match(r"^[^\n]{2,60} --", t)]
    assert len(datelines) >= 3
    headers = Counter(m for t in texts for m in READ_ALSO.findall(t))
    assert len(headers) >= 3 and sum(headers.values()) >= 10
    assert sum(not READ_ALSO.search(t) for t in texts) >= 3
    assert any(t.count(RELATED) == 2 for t in texts)
    dates = [PUBLISHED.search(t) for t in texts]
    lines = [t[m.start() : t.find("\n", m.start())] for t, m in zip(texts, dates, strict=True)]
    assert any("هـ" in line and re.search(r"14\d\d", line) for line in lines)  # Hijri
    assert any(re.search("[٠-٩]{4}", line) for line in lines)  # Arabic-Indic year
    assert any(" / " not in line.split("تابعونا")[0] for line in lines)  # Egyptian month only
    everything = "".join(texts)
    for char in ["\u0640", "\u064e", "\u00a0", "\u200c", "\u200f", "\u200b", "\ufefb"]:
        assert char in everything, f"U+{ord(char):04X} missing from the pages"


def test_related_lists_have_three_to_eight_bullets() -> None:
    for name, text in load_pages().items():
        blocks = text.split(RELATED)[1:]
        assert blocks, name
        for block in blocks:
            bullets = [
                ln for ln in block.strip("\n").split("\n\n")[0].split("\n") if BULLET.match(ln)
            ]
            assert 3 <= len(bullets) <= 8, name


def test_read_also_articles_are_real_articles() -> None:
    for name, text in load_pages().items():
        if READ_ALSO.search(text):
            body = read_also_body(text)
            assert 2 <= len(body) <= 4, name
            assert len(words(" ".join(body))) >= 80, name


def test_a_read_also_article_is_also_a_full_page() -> None:
    pages = load_pages()
    appended = read_also_body(pages["p02.txt"])
    assert appended == page_body(pages["p09.txt"])


# --------------------------------------------------------------------------- JSON dumps


def test_snn_records_have_exactly_the_six_keys() -> None:
    records = load_snn()
    for rec in records:
        assert set(rec) == SNN_KEYS
        assert all(isinstance(v, str) for v in rec.values())
        assert re.fullmatch(r"2023-05-0[12] \d\d:\d\d:\d\d", rec["date_extracted"])
    assert len({r["source"] for r in records}) >= 5
    assert len({r["url"] for r in records}) == len(records)


def test_a_source_repeats_its_footer_line_at_least_six_times() -> None:
    last_lines = Counter(
        (r["source"], r["content"].split("\n")[-1]) for r in load_snn() if r["content"]
    )
    (source, line), count = last_lines.most_common(1)[0]
    assert (source, line) == ("okaz", "// انتهى //") and count >= 6


def test_snn_bodies_and_planted_rejects() -> None:
    records = load_snn()
    empty = [r for r in records if not r["content"].strip()]
    short = [r for r in records if 0 < len(words(r["content"])) < 20]
    english = [
        r
        for r in records
        if len(LATIN_LETTER.findall(r["content"])) > 3 * len(ARABIC_LETTER.findall(r["content"]))
    ]
    assert len(empty) == 1 and len(short) == 1 and len(english) == 1
    rejects = {id(r) for r in empty + short + english}
    for rec in records:
        if id(rec) not in rejects:
            assert 80 <= len(words(rec["content"])) <= 300, rec["url"]
            assert rec["content"].count("\n") >= 2  # paragraphs separated by "\n"


def test_truncated_dump_is_not_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads((SNN / "2023-05-03.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- HTML, TREC, JSONL


def test_html_pages_have_metadata_and_an_article() -> None:
    for path in sorted((SAMPLE / "html").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        assert re.search(r"<title>[^<]+</title>", html)
        assert re.search(r'<link rel="canonical" href="https://[^"]+">', html)
        assert re.search(r'<meta property="og:site_name" content="[^"]+">', html)
        assert re.search(
            r'<meta property="article:published_time" '
            r'content="2023-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00">',
            html,
        )
        assert "<nav" in html and "<footer>" in html
        paragraphs = html_paragraphs(path)
        assert len(paragraphs) >= 3 and 80 <= len(words(" ".join(paragraphs))) <= 300


def test_trec_documents_are_complete() -> None:
    docs = trec_docs()
    for doc in docs:
        for tag in ("DOCNO", "HEADLINE", "DATELINE", "DATE_TIME", "TEXT"):
            assert re.search(rf"<{tag}>.*?</{tag}>", doc, re.S), tag
        when = re.search(r"<DATE_TIME>(.*?)</DATE_TIME>", doc).group(1).strip()
        assert email.utils.parsedate_to_datetime(when).tzinfo is not None
        assert 80 <= len(words(" ".join(trec_paragraphs(doc)))) <= 300
    bare = [d for d in docs if re.search(r"&(?!#?\w+;)", d)]
    assert len(bare) == 1


def test_jsonl_has_one_invalid_line_and_a_generic_schema() -> None:
    lines = jsonl_lines()
    good = valid_jsonl()
    assert len(lines) - len(good) == 1
    for rec in good:
        assert set(rec) == JSONL_KEYS
        assert 80 <= len(words(rec["text"])) <= 300


# --------------------------------------------------------------------------- duplicates


def _bodies() -> dict[str, str]:
    """One normalised-later body per record, keyed by a readable name."""
    out = {f"snn:{r['url']}": r["content"] for r in load_snn() if r["content"]}
    out |= {f"jsonl:{r['url']}": r["text"].replace("\n\n", "\n") for r in valid_jsonl()}
    out |= {f"trec:{i}": "\n".join(trec_paragraphs(d)) for i, d in enumerate(trec_docs())}
    out |= {
        f"html:{p.name}": "\n".join(html_paragraphs(p)) for p in (SAMPLE / "html").glob("*.html")
    }
    out |= {f"page:{n}": "\n".join(page_body(t)) for n, t in load_pages().items()}
    return out


def test_exact_duplicates_across_outlets_and_formats() -> None:
    bodies = _bodies()
    groups = Counter(norm(b) for b in bodies.values())
    dup_groups = [body for body, n in groups.items() if n >= 2]
    assert len(dup_groups) >= 3
    kinds = [{k.split(":")[0] for k, b in bodies.items() if norm(b) == body} for body in dup_groups]
    assert {"snn", "html"} in kinds  # the cross-format duplicate
    # one exact duplicate differs only by whitespace/diacritics in the raw text
    assert any(len({b for b in bodies.values() if norm(b) == body}) > 1 for body in dup_groups)


def test_near_duplicates_share_most_shingles() -> None:
    bodies = list(_bodies().values())
    near = [
        (a, b)
        for i, a in enumerate(bodies)
        for b in bodies[i + 1 :]
        if norm(a) != norm(b) and 0.8 <= jaccard(a, b) < 0.97
    ]
    assert len(near) >= 3
    unrelated = jaccard(bodies[0], bodies[-1])
    assert unrelated < 0.1
