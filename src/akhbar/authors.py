"""``author`` holds people: split the byline field into a person and a dateline.

News dumps put whatever stands above the story into the author field. In SaudiNewsNet
(26,294 non-empty values) about half are datelines or outlets, in a dozen framings:
``الرياض - واس``, ``واس - جدة``, ``لندن: «الشرق الأوسط أونلاين»``, ``«الاقتصادية» من الرياض``,
``عكاظ (جدة)``, ``الوئام - رويترز:``, ``سبق- وكالات:``, and mixed with a person:
``الباحة - عبدالرحمن الغامدي``, ``أحمد الشميري (صنعاء)``, ``عبدالله البرقاوي- سبق- الرياض:``,
``عادل الخنين من الرياض``, ``بقلم: محمد العلي``.

:func:`split_author` cuts the value at its framing (dash, colon, tatweel used as a dash,
parentheses, guillemets, `` من <place>`` at the end), drops byline words (``بقلم``, ``كتب``,
``إعداد`` ...) and classifies each part:

* **outlet**: a news agency or outlet name (:data:`OUTLETS`), or a part holding an outlet
  word (``وكالة``, ``متابعات``, ``أونلاين``, ``الإلكتروني``, ``مكتب``, ``فريق`` ...);
* **place**: a city, region or country (:data:`PLACES`);
* **person**: any other part of two words or more. A single unknown word is *not* taken
  as a person: bylines name people by given name + family name, while single-word places
  (``عنيزة``, ``القطيف``) are common and no list holds them all.

The person parts become ``author`` (joined by ``، ``); the rest is the dateline: the whole
value (framing kept, as written) when no person is in it, else the other parts joined by
`` - ``. The lists were built from the part frequencies of the SaudiNewsNet author field
(every part seen 14+ times was read and put in a list or left to be a person) plus the
usual wire agencies and Arab/world capitals. Why lists and not corpus statistics at
run time: the parse stage streams batches, and a decision learnt per batch would make an
article's author depend on ``batch_size`` and on its neighbours; a fixed list is the same
for every build and can be read and extended by anyone.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from akhbar.folding import fold_raw


def _split_phrases(block: str) -> list[str]:
    """Phrases of a list block: ``|``-separated when the line has one, else word by word."""
    out: list[str] = []
    for line in block.strip().splitlines():
        out.extend(p.strip() for p in (line.split("|") if "|" in line else line.split()))
    return [p for p in out if p]


_OUTLET_PHRASES = """
أ ف ب|أ.ف.ب|ا ف ب|فرانس برس|د ب أ|د.ب.أ|يو بي اي|يو بي آي|يو.بي.آي|أ ب|أ.ب
اسوشيتد برس|أسوشيتد برس|أ ش أ|سي إن إن|سي ان ان|بي بي سي|سكاي نيوز|العربية نت
الجزيرة نت|إرم نيوز|وكالة الأنباء السعودية|عين اليوم|الشرق الأوسط|الشرق الأوسط أونلاين
الاقتصادية الإلكترونية|الرياض الإلكتروني|الرياض الالكتروني|فريق التحرير|هيئة التحرير
مكتب الجزيرة|ثقافة اليوم|كلمة اليوم|كلمة الاقتصادية|كلمة الرياض|رأي اليوم|خاص بالرياض
"""
_OUTLET_WORDS = """
واس رويترز الفرنسية الأناضول الاناضول كونا وام بنا قنا سبأ سانا يونا شينخوا إرم
وكالات الوكالات متابعات متابعة عواصم الوئام الجزيرة اليوم الوطن المدينة الرياض عكاظ
سبق الاقتصادية الرياضي الرياضية الحياة الخليج البيان الاتحاد الأهرام القبس الراي الرأي
reuters afp ap dpa upi cnn bbc spa
تصوير عدسة زائر خاص هاتفيا تحقيق تقرير حوار حاوره إضاءة
"""
#: Folded outlet names (agencies, newspapers, desks, column headings, "photo"/"special").
OUTLETS = frozenset(fold_raw(p) for p in [*_split_phrases(_OUTLET_PHRASES),
                                      *_split_phrases(_OUTLET_WORDS)])
#: Abbreviations are written with dots and spaces at will (أ ف ب, أ.ف.ب, أ. ف. ب.).
#: Compiled once: these run on every distinct author value (8,253 on SaudiNewsNet), where
#: ``re.sub(pattern, ...)`` would look each pattern up in the module cache per call.
_SPACES = re.compile(r"\s+")
_SPACE_DOT = re.compile(r"[\s.]")
_NOT_NAME = re.compile(r"[\d!?؟]")
_FROM = re.compile(r"^من\s+")
_OUTLETS_COMPACT = frozenset(_SPACE_DOT.sub("", o) for o in OUTLETS)
#: A part holding one of these (folded) words is an outlet or desk, not a person.
_OUTLET_MARKERS = frozenset(fold_raw(w) for w in (
    "وكالة", "وكالات", "متابعات", "أونلاين", "اونلاين", "الإلكتروني", "الإلكترونية",
    "الالكتروني", "الالكترونية", "مكتب", "فريق", "التحرير", "المحليات", "المحرر", "مراسل",
    "مراسلنا", "مراسلو", "صحيفة", "قناة", "نت", "موقع", "مندوب", "خدمة", "كلمة", "زاوية",
    "تصوير", "عدسة", "الإعلامي", "الاعلامية", "الإعلامية", "القسم", "الملف", "وحدة", "إدارة",
    "اللجنة"))

_PLACE_PHRASES = """
مكة المكرمة|المدينة المنورة|خميس مشيط|حفر الباطن|وادي الدواسر|ظهران الجنوب|المنطقة الشرقية
محايل عسير|رجال ألمع|أحد رفيدة|شرورة|رأس تنورة|المملكة العربية السعودية
رام الله|تل أبيب|القدس المحتلة|إسلام آباد|اسلام اباد|أبو ظبي|أبوظبي|دار السلام|نيو دلهي
لوس أنجليس|لوس انجليس|لوس أنجلوس|سان فرانسيسكو|سان بطرسبرج|سان بطرسبورغ|ساو باولو
بوينس آيرس|ريو دي جانيرو|هونغ كونغ|هونج كونج|كوالا لمبور|الولايات المتحدة|الأمم المتحدة
نيو يورك|شرم الشيخ|المملكة المتحدة|الجبيل الصناعية|الحد الجنوبي|الضفة الغربية
الشريط الحدودي|الأراضي الفلسطينية|الحدود الشمالية|بوينوس ايرس|بوينس ايرس|جنوب أفريقيا
كوريا الجنوبية|الدار البيضاء|العاصمة المقدسة
"""
_PLACE_WORDS = """
الرياض جدة مكة المدينة الدمام الخبر الظهران الأحساء الاحساء الهفوف القطيف الجبيل الطائف
أبها ابها جازان جيزان نجران تبوك حائل بريدة عنيزة الرس القصيم الباحة عرعر سكاكا الجوف
القريات رفحاء ينبع أملج الوجه ضباء العلا بيشة الخرج المجمعة الزلفي الدوادمي عفيف القنفذة
الليث رابغ صبيا صامطة أبوعريش بلجرشي المخواة النماص تنومة السيح الخرمة رنية تربة الأفلاج
شقراء حوطة البكيرية المذنب البدائع عسير الشرقية الشمالية سدير الغاط ثادق حريملاء الدرعية
الكويت المنامة الدوحة دبي الشارقة مسقط صنعاء عدن تعز الحديدة المكلا مأرب حضرموت
القاهرة الإسكندرية بيروت دمشق حلب عمان عمّان بغداد البصرة أربيل الموصل الفلوجة الرمادي
غزة القدس نابلس الخليل جنين عمان طرابلس بنغازي تونس الجزائر الرباط طنجة الدار نواكشوط
الخرطوم مقديشو جيبوتي طهران أنقرة انقرة إسطنبول اسطنبول كابول كابل كراتشي لاهور نيودلهي
مومباي دكا كولومبو بكين طوكيو سول سيول مانيلا جاكرتا سنغافورة بانكوك كوالالمبور سيدني
ملبورن موسكو كييف برلين باريس لندن روما مدريد برشلونة لشبونة بروكسل جنيف زيوريخ زوريخ
فيينا أثينا امستردام أمستردام لاهاي ستوكهولم أوسلو كوبنهاغن وارسو براغ بودابست نيقوسيا
واشنطن نيويورك بوسطن شيكاغو هيوستن ميامي كاليفورنيا تورنتو أوتاوا مونتريال المكسيك
نيروبي أديس أبابا لاغوس أبوجا باماكو داكار كيب جوهانسبرغ الفاتيكان
السعودية مصر سوريا العراق اليمن لبنان الأردن فلسطين ليبيا السودان إيران تركيا روسيا
الصين اليابان الهند باكستان أفغانستان ألمانيا فرنسا بريطانيا إيطاليا إسبانيا أمريكا
المغرب موريتانيا الصومال البحرين قطر الإمارات أوكرانيا البرازيل الأرجنتين كندا أستراليا
"""
#: Folded place names (Saudi cities and regions, Arab and world capitals, countries).
PLACES = frozenset(fold_raw(p) for p in [*_split_phrases(_PLACE_PHRASES),
                                     *_split_phrases(_PLACE_WORDS)])

#: Byline words that introduce the name (``بقلم: محمد العلي``), dropped from a part's start.
_BYLINE = r"(?:بقلم|كتب|كتبت|كتبه|إعداد|اعداد|تحرير|ترجمة|متابعة|حوار|إشراف|تقرير)"
_BYLINE_RE = re.compile(rf"^{_BYLINE}\s+(?=\S)")
_BYLINE_ONLY_RE = re.compile(rf"^{_BYLINE}$")
_CUT_RE = re.compile(r"\s*(?:--|[-–—:：/|،,()«»\"“”{}\[\]]|\s+ـ+\s*|\s*ـ+\s+|\s+من\s+)\s*")
_MAX_NAME_WORDS = 8  # "أ.د. جابر بن سالم القحطاني"; a longer part is a sentence
_CLEAN_RE = re.compile(r"[\u00a0\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c]")


@lru_cache(maxsize=1 << 16)
def is_outlet(part: str) -> bool:
    """Whether ``part`` names an agency or outlet (dots and spaces in abbreviations ignored)."""
    key = _SPACES.sub(" ", fold_raw(part)).strip(" .")
    return (key in OUTLETS or _SPACE_DOT.sub("", key) in _OUTLETS_COMPACT
            or any(w in _OUTLET_MARKERS for w in key.split()))


@lru_cache(maxsize=1 << 16)
def _kind(part: str) -> str:
    key = fold_raw(part).replace("ـ", "")
    key = _SPACES.sub(" ", key).strip(" .")
    if not key:
        return "empty"
    if (key in OUTLETS or _SPACE_DOT.sub("", key) in _OUTLETS_COMPACT
            or any(w in _OUTLET_MARKERS for w in key.split())):
        return "outlet"
    if key in PLACES:
        return "place"
    words = key.split()
    if all(w in OUTLETS or len(w) == 1 for w in words):  # "د ب أ واس", "خاص عكاظ", "م واس"
        return "outlet"
    if 2 <= len(key.split()) <= _MAX_NAME_WORDS and not _NOT_NAME.search(key):
        return "person"
    return "other"  # one unknown word: a place or desk far more often than a person


def _place_prefix(part: str) -> list[str]:
    """Parts glued without a separator: a known place of 1-2 words before a name of 2+
    words (``الرياض أحمد غاوي``), or a name of 2+ words before an outlet name."""
    words = part.split()
    for k in (2, 1):
        if len(words) >= k + 2 and fold_raw(" ".join(words[:k])) in PLACES:
            return [" ".join(words[:k]), " ".join(words[k:])]
    if len(words) >= 3 and fold_raw(words[-1]) in OUTLETS:  # "عبدالله السالم سبق": name, outlet
        return [" ".join(words[:-1]), words[-1]]
    return [part]


@lru_cache(maxsize=1 << 16)
def split_author(value: str | None) -> tuple[str | None, str | None]:
    """``(person, dateline)`` of an author field value; either may be None."""
    if not isinstance(value, str):
        return None, None
    text = _CLEAN_RE.sub(" ", html.unescape(value))
    text = _SPACES.sub(" ", text).strip(" :：-–—")
    if not text:
        return None, None
    parts = [_FROM.sub("", p.strip()) for p in _CUT_RE.split(text)]
    parts = [_BYLINE_RE.sub("", p) for p in parts
             if p and p.strip(" .") and not _BYLINE_ONLY_RE.match(p)]
    parts = [q for p in parts for q in _place_prefix(p)]
    kinds = [_kind(p) for p in parts]
    people = [p for p, k in zip(parts, kinds, strict=True) if k == "person"]
    if not people:
        return None, text
    rest = [p for p, k in zip(parts, kinds, strict=True) if k in ("place", "outlet", "other")]
    return "، ".join(people), (" - ".join(rest) or None)
