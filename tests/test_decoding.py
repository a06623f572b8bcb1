"""Tolerant decoding (issue 12) and no silent mojibake (issue 11): repairs are made, kept
and counted; Arabic in the wrong code page is re-decided or rejected, never kept garbled."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import orjson
import pytest

from akhbar.ingest.encoding import BinaryContent, EncodingFailure, decode, decode_record
from akhbar.params import defaults_for
from test_ingest_support import BODY_1, BODY_2, BODY_3, ingest, keys, write

# ISO-8859-6 has no hamza-on-alef letters beyond those in windows-1256, and no Persian
# letters: these sentences encode in both code pages.
PLAIN_1 = "اعلنت الوزارة عن خطة جديدة لدعم المزارعين في القرى الجنوبية هذا العام"
PLAIN_2 = "قال المتحدث باسم البلدية ان العمل في الطريق الجديد سينتهي قبل نهاية الشهر"


def test_folder_of_cp1256_crlf_files_each_ending_in_nul_is_all_kept(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "اقتصاد"
    bodies = [BODY_1, BODY_2, BODY_3, f"{BODY_1}\n{BODY_2}"]
    for i, body in enumerate(bodies):
        text = f"{body}\nسطر ثان من الخبر رقم {i}\n".replace("\n", "\r\n")
        write(raw / f"EG{i:04d}.txt", text.encode("cp1256") + b"\x00")
    report, good, bad = ingest(tmp_path, tmp_path / "raw")
    assert bad.height == 0
    assert good.height == len(bodies)
    assert set(good["raw_encoding"]) == {"windows-1256"}
    for i, body in enumerate(sorted(good.to_dicts(), key=lambda r: r["raw_file"])):
        assert body["body"] == f"{bodies[i]}\nسطر ثان من الخبر رقم {i}\n"
        assert "\x00" not in body["body"] and "\r" not in body["body"]
    assert report.stats["repairs"] == {"crlf": 4, "trailing-nul": 4}


def test_stray_nul_lone_cr_and_bom_in_the_middle_are_repaired_and_counted(
        tmp_path: Path) -> None:
    write(tmp_path / "nul.txt", (BODY_1 + "\n").encode() + b"\x00" + BODY_2.encode())
    write(tmp_path / "cr.txt", f"{BODY_1}\r{BODY_2}\r".encode("cp1256"))
    write(tmp_path / "bom.txt", BODY_1.encode() + codecs.BOM_UTF8 + BODY_3.encode())
    report, good, bad = ingest(tmp_path, tmp_path / "nul.txt", tmp_path / "cr.txt",
                               tmp_path / "bom.txt")
    assert bad.height == 0
    rows = {r["raw_file"]: r["body"] for r in good.to_dicts()}
    assert rows == {"nul.txt": f"{BODY_1}\n{BODY_2}", "cr.txt": f"{BODY_1}\n{BODY_2}\n",
                    "bom.txt": BODY_1 + BODY_3}
    assert report.stats["repairs"] == {"bom": 1, "cr": 1, "nul": 1}


def test_binary_only_above_the_control_ratio(tmp_path: Path) -> None:
    text = (BODY_1 * 3).encode()
    with pytest.raises(BinaryContent):
        decode(text[:40] + b"\x00\x01" * 10 + text[40:])  # 20 control bytes in ~450
    assert decode(text[:40] + b"\x00" + text[40:]).text == BODY_1 * 3
    loose = decode(text[:40] + b"\x00" * 5 + text[40:],
                   params=_params(max_control_ratio=0.05))
    assert loose.text == BODY_1 * 3 and loose.repairs == ("nul",)
    with pytest.raises(BinaryContent):
        decode(b"\x00" * 64)
    write(tmp_path / "junk.txt", os.urandom(300) + b"\x00\x01\x02" * 30)
    _, good, bad = ingest(tmp_path, tmp_path / "junk.txt")
    assert good.height == 0 and bad["reason"].to_list() == ["ingest:binary"]


def _params(**kw: float):  # type: ignore[no-untyped-def]
    from akhbar.ingest.encoding import EncodingParams

    return defaults_for(EncodingParams, **kw)


def test_iso_8859_6_is_decided_not_kept_as_windows_1256_mojibake(tmp_path: Path) -> None:
    data = f"{PLAIN_1}.\n{PLAIN_2}.\n".encode("iso8859_6")
    as_cp1256 = data.decode("cp1256")
    assert as_cp1256 != f"{PLAIN_1}.\n{PLAIN_2}.\n"  # the old silent decision
    decoded = decode(data)
    assert decoded.encoding == "iso-8859-6" and decoded.text == f"{PLAIN_1}.\n{PLAIN_2}.\n"
    # and real windows-1256 stays windows-1256
    assert decode(f"{PLAIN_1}.\n{PLAIN_2}.\n".encode("cp1256")).encoding == "windows-1256"
    write(tmp_path / "iso.txt", data)
    _, good, bad = ingest(tmp_path, tmp_path / "iso.txt")
    assert bad.height == 0 and good["body"][0] == f"{PLAIN_1}.\n{PLAIN_2}.\n"
    assert good["raw_encoding"][0] == "iso-8859-6"


def test_latin_letters_glued_to_arabic_in_every_codepage_are_rejected() -> None:
    # Arabic letters with Latin-1 letters inside the words, whatever the code page
    text = " ".join(f"{w}é{w}à" for w in PLAIN_1.split())
    data = text.encode("cp1256")
    with pytest.raises(EncodingFailure, match="mis-decoded Arabic"):
        decode(data)


def test_cp1256_file_with_one_utf8_paragraph_is_decoded_per_paragraph(
        tmp_path: Path) -> None:
    data = (BODY_1.encode("cp1256") + b"\r\n" + BODY_2.encode("utf-8") + b"\r\n"
            + BODY_3.encode("cp1256") + b"\r\n")
    decoded = decode(data)
    assert decoded.text == f"{BODY_1}\n{BODY_2}\n{BODY_3}\n"
    assert decoded.encoding == "windows-1256+utf-8" and not decoded.damaged
    assert "mixed-encoding" in decoded.repairs
    write(tmp_path / "mixed.txt", data)
    report, good, _ = ingest(tmp_path, tmp_path / "mixed.txt")
    assert good["body"][0] == f"{BODY_1}\n{BODY_2}\n{BODY_3}\n"
    assert report.stats["repairs"] == {"crlf": 1, "mixed-encoding": 1}


def test_utf8_file_with_one_damaged_byte_is_not_taken_for_mixed() -> None:
    data = BODY_1.encode() + b"\n" + BODY_2.encode()[:10] + b"\xff" + BODY_2.encode()[10:]
    decoded = decode(data)
    assert decoded.damaged and decoded.encoding == "utf-8"


def test_double_encoded_utf8_arabic_is_undone() -> None:
    garbled = BODY_1.encode("utf-8").decode("cp1256")  # "ط£ط¹ظ„ظ†طھ ..."
    decoded = decode(garbled.encode("utf-8"))
    assert decoded.text == BODY_1 and decoded.repairs == ("mojibake",)
    # real text heavy in ط/ظ that is not such mojibake is kept as written
    odd = "ظبط طظ ظط طبط ظظط طلط ظبظ " * 3
    assert decode(odd.encode()).text == odd


def test_record_decoding_never_guesses() -> None:
    assert decode_record(BODY_1.encode("cp1256")).encoding == "windows-1256"
    assert decode_record(PLAIN_1.encode("iso8859_6")).text == PLAIN_1
    with pytest.raises(EncodingFailure):
        decode_record(b'{"text": "\xff\xfe bad"}')
    # mostly ASCII (keys, a URL) around a short Arabic title: still windows-1256
    record = orjson.dumps({"url": "https://news.example/2024/01/02/article-123456",
                           "published": "2024-01-02T10:00:00", "title": "خبر قصير"})
    assert decode_record(record.decode().encode("cp1256")).encoding == "windows-1256"


def test_json_array_ending_in_nul_padding(tmp_path: Path) -> None:
    data = orjson.dumps([{"text": BODY_1}, {"text": BODY_2}]) + b"\x00" * 7
    write(tmp_path / "a.json", data)
    report, good, bad = ingest(tmp_path, tmp_path / "a.json")
    assert bad.height == 0 and keys(good) == [("a.json", 0), ("a.json", 1)]
    assert report.stats["repairs"] == {"trailing-nul": 1}
