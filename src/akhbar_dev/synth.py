"""Synthetic raw corpora of any size, shaped like SaudiNewsNet, for benchmarks and scale tests.

Why synthetic: the real corpus is 31k articles; "does it still fit in memory at 10x?" needs a
corpus of any size with the same statistics. Output is one JSON array per "day"
(``YYYY-MM-DD.json``, optionally ``YYYY-MM-DD.zip`` holding it), records with the six keys
``source, url, date_extracted, title, author, content``.

Bodies are a *sentence salad*: each line of an article is a few sentences drawn from a pool
of sentences of the same outlet (as many per line as that outlet's lines hold), a word of some
sentences dropped, swapped or inserted. Perturbing whole seed records, or drawing whole lines
(some outlets write a body as one line), would make every tenth article of a 300k corpus a
near-duplicate of another (31k seeds) and swamp the intended duplicate rates. The pool is
either the sentences of a seed corpus (SaudiNewsNet zips, read at run time and never copied
into the project) or a built-in phrase grammar written for this module.

Noise injected at fixed rates (see :data:`RATES`): exact duplicate bodies (new url), near
duplicates (a copy with ~2 % of its words edited), empty bodies, per-outlet footer lines,
diacritics, tatweel and NBSP. Everything is drawn from one ``random.Random(seed)``: the same
seed, size and seed corpus give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import zipfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import orjson

#: Fractions of the records that get each treatment (roles are exact counts, shuffled).
RATES = {"exact_dup": 0.02, "near_dup": 0.03, "empty": 0.01}
FOOTER_RATE = 0.25  # articles of an outlet that carry its footer line
DIACRITIC_RATE = 0.05
TATWEEL_RATE = 0.05
NBSP_RATE = 0.03
SENTENCE_EDIT_RATE = 0.3  # sentences of an original with a word dropped/swapped/inserted
NEAR_DUP_EDIT_FRAC = 0.02  # words edited in a near duplicate
DUP_WINDOW = 2000  # duplicates copy one of the last N originals (syndication is recent)
ARTICLES_PER_DAY = 2000
START = dt.date(2015, 7, 21)
KEYS = ("source", "url", "date_extracted", "title", "author", "content")

# Outlet ids and hosts of the built-in mode (metadata, modelled on the SaudiNewsNet README).
_OUTLETS = {
    "alriyadh": "www.alriyadh.com", "aljazirah": "al-jazirah.com", "alyaum": "alyaum.com",
    "aleqtisadiya": "aleqt.com", "aawsat": "aawsat.com", "okaz": "www.okaz.com.sa",
    "alwatan": "alwatan.com.sa", "almadina": "www.al-madina.com", "alweeam": "alweeam.com.sa",
    "3alyoum": "3alyoum.com", "sabq": "sabq.org", "was": "www.spa.gov.sa",
}

# Footer lines written for this module (one per outlet, chosen by the outlet's hash).
_FOOTERS = [
    "-- انتهى الخبر --",
    "للاشتراك في خدمة الأخبار العاجلة أرسل الرقم 1 إلى 80800",
    "جميع الحقوق محفوظة للصحيفة ولا يجوز النقل دون إذن",
    "للتواصل مع المحرر أرسل رسالة قصيرة إلى الرقم 88000",
    "شاهد المزيد من الأخبار على موقعنا",
    "حمّل تطبيق الصحيفة على هاتفك الذكي",
]

# A small phrase grammar of the built-in mode: sentence = opener + clause + place + time
# [+ closer]. Five independent slots keep two random articles' word 5-grams apart.
_OPENERS = [
    "أعلنت وزارة التعليم", "أكد المتحدث الرسمي باسم الهيئة", "كشفت مصادر مطلعة",
    "أوضح مدير عام الشؤون الصحية", "ذكرت الإدارة العامة للمرور", "قال رئيس مجلس الإدارة",
    "أفاد تقرير صادر عن هيئة الإحصاء", "بين أمين المنطقة", "أشار وكيل الوزارة",
    "صرح الناطق الإعلامي بالشرطة", "نفت الجهات المختصة", "رحبت الغرفة التجارية",
    "أعلنت الجامعة", "دعت جمعية حماية المستهلك", "أكدت اللجنة المنظمة",
    "أوضحت إدارة الدفاع المدني", "ذكر مسؤول في البلدية", "أعلن الاتحاد السعودي لكرة القدم",
    "قالت شركة الكهرباء", "أفادت الأرصاد الجوية", "أوضح مدير التعليم بالمنطقة",
    "بينت وزارة التجارة", "أشارت دراسة حديثة", "أكد محافظ المدينة",
]
_CLAUSES = [
    "أن العمل جار على استكمال المشروع", "أن عدد المستفيدين تجاوز {n} مستفيد",
    "عن خطة جديدة لتطوير الخدمات المقدمة للمراجعين", "أن الأسعار شهدت ارتفاعا ملحوظا",
    "أن الفرق الميدانية باشرت مهامها", "عن إطلاق برنامج تدريبي للشباب والشابات",
    "أن نسبة الإنجاز بلغت {n} في المئة", "أن الاجتماع ناقش عددا من الملفات المهمة",
    "عن توقيع اتفاقية تعاون مع القطاع الخاص", "أن درجات الحرارة ستتجاوز {n} درجة مئوية",
    "أن الحملة أسفرت عن ضبط {n} مخالفة", "عن افتتاح مركز جديد لخدمة العملاء",
    "أن الطلاب سيعودون إلى مقاعد الدراسة", "أن الفريق حقق فوزا مستحقا على منافسه",
    "عن تخصيص {n} مليون ريال لصيانة الطرق", "أن الحادث لم يسفر عن إصابات",
    "أن التسجيل في البرنامج متاح عبر الموقع الإلكتروني", "عن تمديد فترة استقبال الطلبات",
    "أن المستشفى استقبل {n} حالة خلال الفترة الماضية", "أن السوق المالية أغلقت على ارتفاع",
    "عن وصول أولى رحلات الحجاج", "أن المهرجان يضم {n} فعالية متنوعة",
    "أن الأمطار تسببت في تجمع المياه ببعض الأحياء", "عن تعيين مدير تنفيذي جديد",
]
_PLACES = [
    "في مدينة الرياض", "في محافظة جدة", "بالمنطقة الشرقية", "في الدمام", "في مكة المكرمة",
    "بالمدينة المنورة", "في أبها", "في تبوك", "في حائل", "في جازان", "في نجران",
    "في منطقة القصيم", "في الطائف", "في الأحساء", "في ينبع", "في الخبر", "في الجوف",
    "في منطقة الباحة", "في عرعر", "في بريدة",
]
_TIMES = [
    "خلال الأسبوع الجاري", "يوم أمس", "صباح اليوم", "في وقت سابق", "خلال العام المقبل",
    "مساء الخميس الماضي", "منذ بداية الشهر", "خلال الربع الأول من العام", "الليلة الماضية",
    "مطلع الأسبوع المقبل", "بعد ظهر اليوم", "خلال الأيام القليلة الماضية",
]
_CLOSERS = [
    "وذلك في إطار الجهود المبذولة لتحسين جودة الحياة",
    "مشيرا إلى أهمية التعاون بين الجهات المعنية", "مؤكدا الحرص على خدمة المواطنين",
    "لافتا إلى أن النتائج ستعلن قريبا", "وسط حضور عدد من المسؤولين والمهتمين",
    "بحسب ما نقلته وكالة الأنباء الرسمية", "داعيا الجميع إلى الالتزام بالتعليمات",
    "مبينا أن المرحلة المقبلة ستشهد مزيدا من التطوير",
]
_TITLE_HEADS = [
    "افتتاح مركز جديد", "ارتفاع الأسعار", "إطلاق حملة توعوية", "توقيع اتفاقية تعاون",
    "ضبط مخالفات تجارية", "فوز مستحق للفريق", "أمطار غزيرة", "بدء التسجيل في البرنامج",
    "تكريم الطلاب المتفوقين", "انطلاق فعاليات المهرجان", "اجتماع لمناقشة المشاريع",
    "تمديد فترة الطلبات",
]
_AUTHORS = ["سارة العتيبي", "محمد القحطاني", "فهد الشمري", "نورة الدوسري", "خالد الحربي",
            "ريم الزهراني", "عبدالله المطيري", "هند السبيعي"]
_DIACRITICS = "\u064e\u064f\u0650\u0651\u0652"
_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")


@dataclass
class _Pool:
    """Where bodies come from: per-outlet sentences, sentences per line, titles, authors,
    hosts and weights."""

    lines: dict[str, list[str]]  # sentences
    per_line: dict[str, list[int]]  # sentences per line, to sample a line's size from
    titles: dict[str, list[str]]
    authors: dict[str, list[str]]
    hosts: dict[str, str]
    weights: dict[str, int]
    lengths: dict[str, list[int]]  # body lengths (chars) to sample a target size from
    words: list[str]  # insertion vocabulary


def _builtin_pool(rng: random.Random, lines_per_outlet: int = 3000) -> _Pool:
    """Pool of the built-in grammar: every outlet gets its own sampled lines."""

    def sentence() -> str:
        parts = [rng.choice(_OPENERS), rng.choice(_CLAUSES).format(n=rng.randint(2, 9999)),
                 rng.choice(_PLACES), rng.choice(_TIMES)]
        if rng.random() < 0.5:
            parts.append("، " + rng.choice(_CLOSERS))
        return " ".join(parts).replace(" ، ", "، ") + "."

    lines, titles, authors, lengths = {}, {}, {}, {}
    for outlet in _OUTLETS:
        lines[outlet] = [sentence() for _ in range(lines_per_outlet)]
        titles[outlet] = [f"{rng.choice(_TITLE_HEADS)} {rng.choice(_PLACES)}"
                          for _ in range(200)]
        authors[outlet] = ["", *rng.sample(_AUTHORS, 3)]
        lengths[outlet] = [rng.randint(500, 3500) for _ in range(200)]
    words = sorted({w for part in (_OPENERS, _CLAUSES, _PLACES, _TIMES, _CLOSERS)
                    for phrase in part for w in phrase.split() if "{" not in w})
    return _Pool(lines, {o: [1, 2, 2, 3] for o in _OUTLETS}, titles, authors, dict(_OUTLETS),
                 dict.fromkeys(_OUTLETS, 1), lengths, words)


def _read_seed_records(seed_corpus: Path) -> list[dict]:
    """Records of a SaudiNewsNet-shaped folder (``*.zip`` holding JSON arrays, or ``*.json``)."""
    records: list[dict] = []
    for path in sorted(Path(seed_corpus).rglob("*")):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in sorted(zf.namelist()):
                    if name.endswith(".json"):
                        records.extend(json.loads(zf.read(name)))
        elif path.suffix == ".json":
            records.extend(json.loads(path.read_bytes()))
    if not records:
        raise FileNotFoundError(f"no *.zip / *.json records under {seed_corpus}")
    return records


def _seed_pool(seed_corpus: Path) -> _Pool:
    """Pool of a seed corpus: unique sentences per outlet, in corpus order."""
    from urllib.parse import urlsplit

    lines: dict[str, dict[str, None]] = {}
    per_line: dict[str, list[int]] = {}
    titles: dict[str, dict[str, None]] = {}
    authors: dict[str, dict[str, None]] = {}
    hosts: dict[str, str] = {}
    weights: dict[str, int] = {}
    lengths: dict[str, list[int]] = {}
    words: dict[str, None] = {}
    for rec in _read_seed_records(seed_corpus):
        src = str(rec.get("source") or "unknown")
        content = str(rec.get("content") or "")
        weights[src] = weights.get(src, 0) + 1
        if not content.strip():
            continue
        lengths.setdefault(src, []).append(len(content))
        pool = lines.setdefault(src, {})
        sizes = per_line.setdefault(src, [])
        for line in content.split("\n"):
            sentences = [x for x in _SENTENCE_END.split(line.strip()) if x]
            if sentences and len(sizes) < 5000:
                sizes.append(len(sentences))
            for sentence in sentences:
                pool.setdefault(sentence, None)
        titles.setdefault(src, {}).setdefault(str(rec.get("title") or ""), None)
        authors.setdefault(src, {}).setdefault(str(rec.get("author") or ""), None)
        host = urlsplit(str(rec.get("url") or "")).netloc
        if host and src not in hosts:
            hosts[src] = host
        if len(words) < 20000:
            for w in content.split()[:50]:
                words.setdefault(w, None)
    outlets = sorted(lines)
    return _Pool({s: list(lines[s]) for s in outlets}, {s: per_line[s] for s in outlets},
                 {s: list(titles[s]) for s in outlets},
                 {s: list(authors[s]) for s in outlets},
                 {s: hosts.get(s, f"{s}.example") for s in outlets},
                 {s: weights[s] for s in outlets}, {s: lengths[s] for s in outlets},
                 list(words))


def _edit_words(words: list[str], rng: random.Random, n_edits: int, vocab: list[str]) -> None:
    """Drop, swap (with the neighbour) or insert a word, ``n_edits`` times, in place."""
    for _ in range(n_edits):
        if len(words) < 3:
            words.append(rng.choice(vocab))
            continue
        i = rng.randrange(len(words) - 1)
        op = rng.random()
        if op < 1 / 3:
            del words[i]
        elif op < 2 / 3:
            words[i], words[i + 1] = words[i + 1], words[i]
        else:
            words.insert(i, rng.choice(vocab))


def _noise(text: str, rng: random.Random) -> str:
    """Diacritics, tatweel, NBSP and Arabic-Indic digits, each in a few articles."""
    if rng.random() < DIACRITIC_RATE:
        words = text.split(" ")
        for _ in range(max(1, len(words) // 20)):
            i = rng.randrange(len(words))
            if words[i]:
                k = rng.randrange(len(words[i]))
                words[i] = words[i][: k + 1] + rng.choice(_DIACRITICS) + words[i][k + 1:]
        text = " ".join(words)
    if rng.random() < TATWEEL_RATE:
        words = text.split(" ")
        i = rng.randrange(len(words))
        if len(words[i]) > 2:
            words[i] = words[i][:1] + "\u0640\u0640" + words[i][1:]
        text = " ".join(words)
    if rng.random() < NBSP_RATE:
        text = text.replace(" ", "\u00a0", rng.randint(1, 5))
    if rng.random() < 0.02:
        text = text.translate(_INDIC)
    return text


class _Writer:
    """One JSON array per day, optionally zipped (fixed zip timestamps: same bytes)."""

    def __init__(self, dest: Path, zipped: bool) -> None:
        self.dest, self.zipped = dest, zipped
        dest.mkdir(parents=True, exist_ok=True)

    def write(self, day: dt.date, records: list[dict]) -> None:
        name = f"{day.isoformat()}.json"
        data = orjson.dumps(records, option=orjson.OPT_INDENT_2)
        if not self.zipped:
            (self.dest / name).write_bytes(data)
            return
        info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with zipfile.ZipFile(self.dest / f"{day.isoformat()}.zip", "w") as zf:
            zf.writestr(info, data, compresslevel=6)


_ROLE_NAMES = ("original", *RATES)  # role codes of _roles


def _roles(n: int, rng: random.Random) -> bytearray:
    """Exact role counts, shuffled over positions 1..n-1 (record 0 is an original, so each
    duplicate has an earlier original to copy); one byte per article (an index into
    :data:`_ROLE_NAMES`: 1 MB at 1M articles; ``shuffle`` sees only the length, so a seed
    gives the roles it gave as a list of names)."""
    counts = {k: round(v * n) for k, v in RATES.items()}
    roles = bytearray(b"".join(bytes([_ROLE_NAMES.index(r)]) * c for r, c in counts.items()))
    roles += b"\x00" * (n - 1 - len(roles))
    rng.shuffle(roles)
    return bytearray(b"\x00") + roles if n else bytearray()


def generate(dest: Path, n_articles: int, seed: int = 0, seed_corpus: Path | None = None,
             *, zipped: bool = False, per_day: int = ARTICLES_PER_DAY) -> Path:
    """Write ``n_articles`` SaudiNewsNet-shaped records into ``dest``; returns ``dest``.

    ``seed_corpus``: a folder of SaudiNewsNet zips/JSON to take lines from, or ``None`` for
    the built-in grammar (:func:`saudinewsnet_in` finds the shared copy). Memory stays
    bounded by one day of records plus the duplicate window, whatever ``n_articles`` is.
    """
    if n_articles < 1:
        raise ValueError("n_articles must be at least 1")
    rng = random.Random(seed)
    pool = _seed_pool(seed_corpus) if seed_corpus is not None else _builtin_pool(rng)
    outlets = list(pool.lines)
    weights = [pool.weights[s] for s in outlets]
    footer = {s: _FOOTERS[sum(map(ord, s)) % len(_FOOTERS)] for s in outlets}
    roles = _roles(n_articles, rng)
    recent: deque[dict] = deque(maxlen=DUP_WINDOW)
    writer = _Writer(Path(dest), zipped)
    serial = rng.randrange(10**6, 10**7)
    day_records: list[dict] = []
    for i, role in enumerate(map(_ROLE_NAMES.__getitem__, roles)):
        day = START + dt.timedelta(days=i // per_day)
        src = rng.choices(outlets, weights)[0]
        rec = {
            "source": src,
            "url": "",
            "date_extracted": f"{day.isoformat()} {rng.randrange(24):02d}:"
                              f"{rng.randrange(60):02d}:{rng.randrange(60):02d}",
            "title": rng.choice(pool.titles[src]),
            "author": rng.choice(pool.authors[src]),
            "content": "",
        }
        if role in ("exact_dup", "near_dup"):
            base = rng.choice(recent)
            rec["source"], rec["title"] = base["source"], base["title"]
            content = base["content"]
            if role == "near_dup":
                words = content.split(" ")
                edits = max(1, round(len(words) * NEAR_DUP_EDIT_FRAC))
                _edit_words(words, rng, edits, pool.words)
                content = " ".join(words)
            rec["content"] = content
        elif role == "original":
            rec["content"] = _original_body(src, pool, rng, footer[src])
            recent.append(rec)
        serial += 1
        rec["url"] = f"http://{pool.hosts[rec['source']]}/news/{serial}"
        day_records.append(rec)
        if (i + 1) % per_day == 0 or i + 1 == n_articles:
            writer.write(day, day_records)
            day_records = []
    return Path(dest)


def _original_body(src: str, pool: _Pool, rng: random.Random, footer: str) -> str:
    """A new body: lines of pool sentences of the outlet up to a sampled target length,
    lightly edited."""
    target = rng.choice(pool.lengths[src])
    lines: list[str] = []
    size = 0
    candidates, per_line = pool.lines[src], pool.per_line[src]
    while size < target:
        sentences = []
        for _ in range(rng.choice(per_line)):
            sentence = rng.choice(candidates)
            if rng.random() < SENTENCE_EDIT_RATE:
                words = sentence.split(" ")
                _edit_words(words, rng, 1, pool.words)
                sentence = " ".join(words)
            sentences.append(sentence)
        line = " ".join(sentences)
        lines.append(line)
        size += len(line) + 1
    if rng.random() < FOOTER_RATE:
        lines.append(footer)
    return _noise("\n".join(lines), rng)


def saudinewsnet_in(shared: Path) -> Path | None:
    """``<shared>/corpora/saudinewsnet`` when it holds zips, else None.

    The caller says where the shared corpora are (tests: the ``shared_dir`` fixture;
    benchmarks: their own option or default): a package must not guess paths outside itself.
    """
    path = Path(shared) / "corpora" / "saudinewsnet"
    return path if any(path.glob("*.zip")) else None


def main(argv: list[str] | None = None) -> None:
    """``python -m akhbar_dev.synth DEST N [--seed S] [--seed-corpus DIR] [--zipped]``."""
    import argparse

    parser = argparse.ArgumentParser(description="Write a synthetic SaudiNewsNet-shaped corpus.")
    parser.add_argument("dest", type=Path)
    parser.add_argument("n_articles", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seed-corpus", type=Path, default=None,
                        help="a folder of SaudiNewsNet zips/JSON (default: the built-in grammar)")
    parser.add_argument("--zipped", action="store_true", help="one zip per day")
    args = parser.parse_args(argv)
    print(generate(args.dest, args.n_articles, seed=args.seed, seed_corpus=args.seed_corpus,
                   zipped=args.zipped))


if __name__ == "__main__":
    main()
