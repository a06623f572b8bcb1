"""Builders of made-up Arabic news bodies shared by the stage tests (no real text)."""

from __future__ import annotations

import random

_SUBJECTS = ["وزارة الصحة", "هيئة الطيران المدني", "البنك المركزي", "بلدية المدينة",
             "الجامعة الوطنية", "غرفة التجارة", "إدارة المرور", "الهيئة العامة للإحصاء"]
_VERBS = ["أعلنت", "أكدت", "كشفت", "أطلقت", "افتتحت", "ناقشت", "اعتمدت", "درست"]
_OBJECTS = ["خطة جديدة لتطوير الخدمات", "برنامجا لتدريب الموظفين", "نتائج الدراسة السنوية",
            "مشروعا لتحسين الطرق الداخلية", "حملة توعية للسكان", "تقريرا عن أسعار السلع"]
_PLACES = ["في العاصمة", "في المنطقة الشرقية", "على مستوى البلاد", "قرب الميناء التجاري"]
_TIMES = ["صباح اليوم", "مساء أمس", "خلال الأسبوع الماضي", "قبل نهاية العام"]
_EXTRAS = ["بتكلفة بلغت {n} مليون ريال", "بمشاركة {n} متدربا ومتدربة",
           "ويستفيد منها نحو {n} شخص", "وتستمر لمدة {n} يوما"]


def news(seed: int, sentences: int = 6, paragraphs: int = 2) -> str:
    """A made-up Arabic news body of template sentences, in one or two paragraphs."""
    rng = random.Random(seed)
    out = [f"{rng.choice(_VERBS)} {rng.choice(_SUBJECTS)} {rng.choice(_OBJECTS)} "
           f"{rng.choice(_PLACES)} {rng.choice(_TIMES)} "
           f"{rng.choice(_EXTRAS).format(n=rng.randint(2, 9999))}."
           for _ in range(sentences)]
    if paragraphs == 1:
        return " ".join(out)
    half = len(out) // 2
    return " ".join(out[:half]) + "\n" + " ".join(out[half:])
