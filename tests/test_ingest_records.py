"""Every record a row (issue 11, case 6, and undecodable names, case 3): each shape of
damaged container keeps what it can and rejects the rest with its position."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import orjson
import pytest

from test_ingest_support import BODY_1, BODY_2, BODY_3, TITLE_1, TITLE_2, ingest, jsonl, keys, write


def _tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]],
         encoding: str = "utf-8") -> Path:
    """A tar; GNU format, so that names are stored as bytes in ``encoding`` (PAX would
    store them as UTF-8 whatever the encoding)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", encoding=encoding,
                      format=tarfile.GNU_FORMAT) as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
    return write(path, buf.getvalue())


# --- undecodable file names ------------------------------------------------------------

def test_latin1_file_and_folder_names_become_escaped_labels(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "ok").mkdir(parents=True)
    bad_dir = os.path.join(os.fsencode(raw), b"d\xe9p\xeache")
    os.mkdir(bad_dir)
    for folder, name, body in ((bad_dir, b"caf\xe9.txt", BODY_1),
                               (os.fsencode(raw / "ok"), b"\xc7\xe1\xce\xc8\xd1.txt", BODY_2)):
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(body.encode())
    write(raw / "ok" / "خبر.txt", BODY_3)
    _, good, bad = ingest(tmp_path, raw)
    assert bad.height == 0
    # sorted by the name as Python sees it (surrogates after "o"), then escaped
    assert dict(zip(good["raw_file"], good["body"], strict=True)) == {
        "raw/ok/خبر.txt": BODY_3,
        "raw/ok/\\xc7\\xe1\\xce\\xc8\\xd1.txt": BODY_2,
        "raw/d\\xe9p\\xeache/caf\\xe9.txt": BODY_1,
    }
    for label in good["raw_file"]:
        label.encode("utf-8")  # valid UTF-8: Arrow wrote it


def test_tar_member_names_in_another_encoding(tmp_path: Path) -> None:
    _tar(tmp_path / "t.tar", [("akhbar/maqal.txt", BODY_1.encode()),
                              ("café.jsonl", jsonl([{"text": BODY_2}]))], encoding="latin-1")
    _tar(tmp_path / "u.tar", [("أخبار/مقال.txt", BODY_3.encode())], encoding="cp1256")
    _, good, bad = ingest(tmp_path, tmp_path / "t.tar", tmp_path / "u.tar")
    assert bad.height == 0
    labels = good["raw_file"].to_list()
    assert labels[1] == "t.tar/caf\\xe9.jsonl" and labels[2] == \
        "u.tar/\\xc3\\xce\\xc8\\xc7\\xd1/\\xe3\\xde\\xc7\\xe1.txt"
    assert good["body"].to_list() == [BODY_1, BODY_2, BODY_3]


# --- JSON arrays ------------------------------------------------------------------------

def test_deep_element_is_rejected_and_its_neighbours_kept(tmp_path: Path) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    data = (b"[" + orjson.dumps({"text": BODY_1, "title": TITLE_1}) + b"," + deep + b","
            + orjson.dumps({"text": BODY_2}) + b"]")
    write(tmp_path / "deep.json", data)
    _, good, bad = ingest(tmp_path, tmp_path / "deep.json")
    assert keys(good) == [("deep.json", 0), ("deep.json", 2)]
    assert good["body"].to_list() == [BODY_1, BODY_2] and good["title"][0] == TITLE_1
    assert keys(bad) == [("deep.json", 1)] and bad["reason"][0] == "ingest:invalid-json"
    start = data.index(deep)
    assert f"element 1 at byte {start}" in bad["detail"][0]


def test_broken_element_in_the_middle_rejects_only_itself(tmp_path: Path) -> None:
    good_1, good_3 = orjson.dumps({"text": BODY_1}), orjson.dumps({"text": BODY_3})
    data = b"[" + good_1 + b', {"text": "' + BODY_2.encode() + b'" oops}, ' + good_3 + b"]"
    write(tmp_path / "mid.json", data)
    write(tmp_path / "box.json", b'{"articles": [' + good_1 + b", {bad}, " + good_3)
    _, good, bad = ingest(tmp_path, tmp_path / "mid.json", tmp_path / "box.json")
    assert keys(good) == [("box.json", 0), ("box.json", 2), ("mid.json", 0), ("mid.json", 2)]
    assert good["body"].to_list() == [BODY_1, BODY_3, BODY_1, BODY_3]
    # box.json: its second element is broken and its array is never closed (cut)
    assert dict(zip(keys(bad), bad["reason"], strict=True)) == {
        ("box.json", 1): "ingest:invalid-json", ("box.json", 3): "ingest:invalid-json",
        ("mid.json", 1): "ingest:invalid-json"}
    assert "at byte" in bad["detail"][2] and "not closed" in bad["detail"][1]


def test_array_mixing_utf8_and_windows_1256_records(tmp_path: Path) -> None:
    records = [(BODY_1, "utf-8"), (BODY_2, "cp1256"), (BODY_3, "utf-8"), (TITLE_2, "cp1256")]
    parts = [orjson.dumps({"text": text}).decode().encode(codec) for text, codec in records]
    write(tmp_path / "mixed.json", b"[\n" + b",\n".join(parts) + b"\n]\n")
    _, good, bad = ingest(tmp_path, tmp_path / "mixed.json")
    assert bad.height == 0
    assert keys(good) == [("mixed.json", i) for i in range(4)]
    assert good["body"].to_list() == [text for text, _ in records]
    assert good["raw_encoding"].to_list() == ["utf-8", "windows-1256", "utf-8", "windows-1256"]


# --- cut streams --------------------------------------------------------------------------

def test_truncated_jsonl_gz_keeps_the_lines_before_the_cut(tmp_path: Path) -> None:
    lines = jsonl([{"text": f"{BODY_1} {i}"} for i in range(300)])
    whole = gzip.compress(lines)
    write(tmp_path / "cut.jsonl.gz", whole[: len(whole) * 2 // 3])
    write(tmp_path / "ok.jsonl.gz", whole)
    _, good, bad = ingest(tmp_path, tmp_path / "cut.jsonl.gz", tmp_path / "ok.jsonl.gz")
    cut = good.filter(good["raw_file"] == "cut.jsonl.gz/cut.jsonl")
    assert 0 < cut.height < 300 and cut["raw_record"].to_list() == list(range(cut.height))
    assert cut["body"].to_list() == [f"{BODY_1} {i}" for i in range(cut.height)]
    assert keys(bad) == [("cut.jsonl.gz/cut.jsonl", cut.height)]
    assert bad["reason"][0] == "ingest:truncated" and "gzip stream cut" in bad["detail"][0]
    assert good.height - cut.height == 300


def test_truncated_json_and_text_in_gzip(tmp_path: Path) -> None:
    array = orjson.dumps([{"text": f"{BODY_2} {i}"} for i in range(200)])
    whole = gzip.compress(array)
    write(tmp_path / "a.json.gz", whole[: len(whole) // 2])
    write(tmp_path / "p.txt.gz", gzip.compress((BODY_3 * 50).encode())[:-20])
    _, good, bad = ingest(tmp_path, tmp_path / "a.json.gz", tmp_path / "p.txt.gz")
    n = good.height
    assert 0 < n < 200 and good["raw_record"].to_list() == list(range(n))
    assert dict(zip(keys(bad), bad["reason"], strict=True)) == {
        ("a.json.gz/a.json", n): "ingest:truncated", ("p.txt.gz/p.txt", 0): "ingest:truncated"}


@pytest.mark.parametrize("stream", [False, True])
def test_jsonl_with_lone_cr_line_ends(tmp_path: Path, stream: bool) -> None:
    data = b"\r".join(orjson.dumps({"text": b}) for b in (BODY_1, BODY_2, BODY_3)) + b"\r"
    write(tmp_path / "mac.jsonl", data)
    write(tmp_path / "mixed.jsonl", orjson.dumps({"text": BODY_1}) + b"\r\n"
          + orjson.dumps({"text": BODY_2}) + b"\r" + '{"text": "عربي"}'.encode("cp1256"))
    _, good, bad = ingest(tmp_path, tmp_path / "mac.jsonl", tmp_path / "mixed.jsonl",
                          stream_bytes=0 if stream else 1 << 30)
    assert keys(good) == [("mac.jsonl", 0), ("mac.jsonl", 1), ("mac.jsonl", 2),
                          ("mixed.jsonl", 0), ("mixed.jsonl", 1), ("mixed.jsonl", 2)]
    assert good["body"].to_list() == [BODY_1, BODY_2, BODY_3, BODY_1, BODY_2, "عربي"]
    # read whole or streamed, each line is decided on its own
    assert good["raw_encoding"][-1] == "windows-1256" and bad.height == 0


# --- CSV without a header -----------------------------------------------------------------

def test_headerless_csv_is_read_with_columns_chosen_by_content(tmp_path: Path) -> None:
    rows = [("https://a.example/1", "2024-01-02", TITLE_1, BODY_1),
            ("https://a.example/2", "2024-01-03", TITLE_2, BODY_2)]
    write(tmp_path / "nohead.csv", "".join(",".join(r) + "\n" for r in rows))
    write(tmp_path / "head.csv", "url,date,title,text\n" + ",".join(rows[0]) + "\n")
    report, good, bad = ingest(tmp_path, tmp_path / "nohead.csv", tmp_path / "head.csv")
    assert bad.height == 0
    assert keys(good) == [("head.csv", 0), ("nohead.csv", 0), ("nohead.csv", 1)]
    got = good.select("url", "published_raw", "title", "body").rows()
    assert got == [rows[0], rows[0], rows[1]]
    assert report.stats["repairs"] == {"csv-no-header": 1}


def test_headerless_csv_user_mapping_and_rejection(tmp_path: Path) -> None:
    write(tmp_path / "m.tsv", f"{BODY_1}\t{TITLE_1}\n{BODY_2}\t{TITLE_2}\n")
    write(tmp_path / "n.csv", "1,2024-01-01\n2,2024-01-02\n")
    _, good, bad = ingest(tmp_path / "a", tmp_path / "m.tsv",
                          fields={"title": "column_1", "body": "column_2"})
    assert bad.height == 0
    assert good.select("title", "body").rows() == [(BODY_1, TITLE_1), (BODY_2, TITLE_2)]
    _, good, bad = ingest(tmp_path / "b", tmp_path / "n.csv")
    assert good.height == 0 and keys(bad) == [("n.csv", 0), ("n.csv", 1)]
    assert set(bad["reason"]) == {"ingest:no-header"}


# --- archive members that are not files ---------------------------------------------------

def test_tar_links_and_devices_are_rejected_rows(tmp_path: Path) -> None:
    def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, target
        return info

    _tar(tmp_path / "s.tar", [
        ("a/one.txt", BODY_1.encode()),
        special("a/hard.txt", tarfile.LNKTYPE, "a/one.txt"),
        special("a/soft.txt", tarfile.SYMTYPE, "/etc/passwd"),
        special("a/tty", tarfile.CHRTYPE), special("a/disk", tarfile.BLKTYPE),
        special("a/pipe", tarfile.FIFOTYPE), ("a/two.txt", BODY_2.encode())])
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as archive:
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("three.txt", BODY_3)
    report, good, bad = ingest(tmp_path, tmp_path / "s.tar", tmp_path / "z.zip")
    assert keys(good) == [("s.tar/a/one.txt", 0), ("s.tar/a/two.txt", 0), ("z.zip/three.txt", 0)]
    assert dict(zip(bad["raw_file"], bad["reason"], strict=True)) == {
        "s.tar/a/hard.txt": "ingest:archive-link", "s.tar/a/soft.txt": "ingest:archive-link",
        "s.tar/a/tty": "ingest:archive-special", "s.tar/a/disk": "ingest:archive-special",
        "s.tar/a/pipe": "ingest:archive-special", "z.zip/link.txt": "ingest:archive-link"}
    assert "/etc/passwd" in bad["detail"][1] and report.rows_in == 9
