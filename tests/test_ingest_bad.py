"""ingest: bad input (damaged, hostile, huge, unreadable) becomes rejected rows; the good
records of the same file are kept and the run never raises."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zipfile
from pathlib import Path

import orjson
import pytest

from test_ingest_support import BODY_1, BODY_2, BODY_3, TITLE_1, ingest, jsonl, keys, write


def _zip_bomb(path: Path, good: bytes, mib: int = 100) -> Path:
    """A zip with a small good member and ``mib`` MiB of zeros compressed ~1000:1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("good.jsonl", good)
        with archive.open("bomb.json", "w", force_zip64=True) as fp:
            chunk = b"0" * (1 << 20)
            for _ in range(mib):
                fp.write(chunk)
        archive.writestr("after.txt", BODY_3)
    return path


def test_zip_bomb_is_rejected_and_the_build_goes_on(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "in" / "bomb.zip", jsonl([{"text": BODY_1}]))
    assert bomb.stat().st_size < 1 << 20  # 100 MiB inside, under 1 MiB on disk
    write(tmp_path / "in" / "z.txt", BODY_2)
    report, good, bad = ingest(tmp_path, tmp_path / "in")
    assert keys(good) == [("in/bomb.zip/good.jsonl", 0), ("in/bomb.zip/after.txt", 0),
                          ("in/z.txt", 0)]
    assert keys(bad) == [("in/bomb.zip/bomb.json", 0)]
    assert bad["reason"][0] == "ingest:archive-bomb" and "ratio" in bad["detail"][0]
    assert report.rejected == {"ingest:archive-bomb": 1}


def test_member_and_total_limits(tmp_path: Path) -> None:
    big = os.urandom(3000)  # incompressible: only the byte limits can stop it
    assert len(BODY_1.encode()) + len(BODY_2.encode()) < 350 < len(
        (BODY_1 + BODY_2 + BODY_3).encode())
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("one.txt", BODY_1)
        archive.writestr("big.bin", big)
        archive.writestr("two.txt", BODY_2)
        archive.writestr("three.txt", BODY_3)
    _, good, bad = ingest(tmp_path, tmp_path / "a.zip",
                          archive={"max_member_bytes": 2000, "max_total_bytes": 350})
    assert keys(good) == [("a.zip/one.txt", 0), ("a.zip/two.txt", 0)]
    assert keys(bad) == [("a.zip/big.bin", 0), ("a.zip/three.txt", 0)]
    assert "max_member_bytes" in bad["detail"][0] and "max_total_bytes" in bad["detail"][1]
    assert set(bad["reason"]) == {"ingest:archive-bomb"}


def test_gzip_stream_bomb(tmp_path: Path) -> None:
    write(tmp_path / "feed.jsonl.gz", gzip.compress(b" " * (40 << 20), 9))
    write(tmp_path / "ok.jsonl.gz", gzip.compress(jsonl([{"text": BODY_1}])))
    _, good, bad = ingest(tmp_path, tmp_path / "feed.jsonl.gz", tmp_path / "ok.jsonl.gz")
    assert keys(good) == [("ok.jsonl.gz/ok.jsonl", 0)] and good["body"][0] == BODY_1
    assert keys(bad) == [("feed.jsonl.gz/feed.jsonl", 0)]
    assert bad["reason"][0] == "ingest:archive-bomb"


def test_zip_slip_member_is_read_in_memory_under_a_safe_name(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "er"
    with zipfile.ZipFile(write(root / "evil.zip", b"").parent / "evil.zip", "w") as archive:
        archive.writestr("../../x.json", orjson.dumps([{"text": BODY_1, "title": TITLE_1}]))
        archive.writestr("/abs/y.txt", BODY_2)
        archive.writestr("x.json", orjson.dumps([{"text": BODY_3}]))
    before = sorted(p for p in tmp_path.rglob("*"))
    _, good, bad = ingest(root, root / "evil.zip")
    assert bad.height == 0
    assert keys(good) == [("evil.zip/x.json", 0), ("evil.zip/abs/y.txt", 0),
                          ("evil.zip/x.json~2", 0)]
    assert good["body"].to_list() == [BODY_1, BODY_2, BODY_3]
    created = sorted(p for p in tmp_path.rglob("*") if "_out" not in p.parts)
    assert created == before  # nothing extracted anywhere
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "deep" / "x.json").exists()


def test_tar_gz_and_nested_archives(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("in.txt", BODY_2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("a/one.jsonl", jsonl([{"text": BODY_1}])),
                           ("a/inner.zip", inner.getvalue()), ("a/.hidden.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    write(tmp_path / "t.tgz", buf.getvalue())
    report, good, bad = ingest(tmp_path, tmp_path / "t.tgz")
    assert bad.height == 0
    assert keys(good) == [("t.tgz/a/one.jsonl", 0), ("t.tgz/a/inner.zip/in.txt", 0)]
    assert report.stats["files"]["tar"] == 1 and report.stats["files"]["zip"] == 1


def test_damaged_files_each_become_rejected_rows(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write(raw / "empty.jsonl", b"")
    write(raw / "blank.txt", "  \n\n")
    write(raw / "junk.txt", os.urandom(64) + b"\x00\x01\x02" * 50)
    write(raw / "bad.json", b'{"text": ')
    write(raw / "list.jsonl", b'[1, 2]\n{"text": "' + BODY_1.encode() + b'"}\n')
    write(raw / "image.png", b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    write(raw / "broken.zip", b"PK\x03\x04 this is not really a zip")
    write(raw / "mixed.jsonl", jsonl([{"text": BODY_2}]) + b'{"text": "\xff\xfe bad"}\n'
          + jsonl([{"text": BODY_3}]))
    write(raw / "ragged.csv", f"title,text\n{TITLE_1},{BODY_1}\nonly-one-field\n")
    report, good, bad = ingest(tmp_path, raw)
    reasons = dict(zip(keys(bad), bad["reason"].to_list(), strict=True))
    assert reasons == {
        ("raw/bad.json", 0): "ingest:invalid-json",
        ("raw/blank.txt", 0): "ingest:empty-file",
        ("raw/broken.zip", 0): "ingest:unreadable",
        ("raw/empty.jsonl", 0): "ingest:empty-file",
        ("raw/image.png", 0): "ingest:unknown-format",
        ("raw/junk.txt", 0): "ingest:binary",
        ("raw/list.jsonl", 0): "ingest:invalid-record",
        ("raw/mixed.jsonl", 1): "ingest:encoding",
        ("raw/ragged.csv", 1): "ingest:invalid-csv",
    }
    assert keys(good) == [("raw/list.jsonl", 1), ("raw/mixed.jsonl", 0),
                          ("raw/mixed.jsonl", 2), ("raw/ragged.csv", 0)]
    assert report.rows_in == good.height + bad.height == 13
    assert all(d.startswith(f"{f}#{r}: {reason}") for f, r, reason, d in
               bad.select("raw_file", "raw_record", "reason", "detail").iter_rows())


def test_record_over_max_record_bytes(tmp_path: Path) -> None:
    long_line = orjson.dumps({"text": BODY_2 * 20})
    write(tmp_path / "a.jsonl", jsonl([{"text": BODY_1}]) + long_line + b"\n")
    write(tmp_path / "b.txt", BODY_3 * 10)
    write(tmp_path / "c.json", orjson.dumps([{"text": BODY_1}, {"text": BODY_3 * 20}]))
    _, good, bad = ingest(tmp_path, tmp_path / "a.jsonl", tmp_path / "b.txt",
                          tmp_path / "c.json", max_record_bytes=1000)
    assert keys(good) == [("a.jsonl", 0), ("c.json", 0)]
    assert keys(bad) == [("a.jsonl", 1), ("b.txt", 0), ("c.json", 1)]
    assert set(bad["reason"]) == {"ingest:too-large"}
    # the first excerpt_bytes bytes, decoded with errors="replace"
    assert bad["raw_excerpt"][0] == long_line[:200].decode("utf-8", "replace")
    assert bad["raw_excerpt"][1] == (BODY_3 * 10).encode()[:200].decode("utf-8", "replace")


def test_unreadable_paths(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write(raw / "ok.txt", BODY_1)
    os.symlink(raw / "missing.txt", raw / "dangling.txt")
    os.mkfifo(raw / "pipe.txt")
    _, good, bad = ingest(tmp_path, raw, tmp_path / "nope.jsonl")
    assert keys(good) == [("raw/ok.txt", 0)]
    assert keys(bad) == [("nope.jsonl", 0), ("raw/dangling.txt", 0), ("raw/pipe.txt", 0)]
    assert set(bad["reason"]) == {"ingest:unreadable"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path: Path) -> None:
    locked = write(tmp_path / "raw" / "locked.txt", BODY_1)
    locked.chmod(0)
    try:
        _, good, bad = ingest(tmp_path, tmp_path / "raw")
    finally:
        locked.chmod(0o644)
    assert good.height == 0 and bad["reason"].to_list() == ["ingest:unreadable"]


def test_permission_error_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    """Root ignores file modes, so the OS error is injected where the file is opened."""
    import builtins

    write(tmp_path / "raw" / "a.txt", BODY_1)
    write(tmp_path / "raw" / "b.txt", BODY_2)
    real_open = builtins.open

    def fake_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("a.txt"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    _, good, bad = ingest(tmp_path, tmp_path / "raw")
    assert keys(good) == [("raw/b.txt", 0)]
    assert keys(bad) == [("raw/a.txt", 0)] and "Permission denied" in bad["detail"][0]


def test_ten_thousand_tiny_files(tmp_path: Path) -> None:
    raw = tmp_path / "many"
    raw.mkdir()
    for i in range(10_000):
        (raw / f"{i:05d}.txt").write_bytes(b"" if i % 10 == 0 else f"{BODY_1} {i}".encode())
    report, good, bad = ingest(tmp_path, raw, batch_size=500)
    assert good.height == 9000 and bad.height == 1000
    assert set(bad["reason"]) == {"ingest:empty-file"}
    assert good["raw_file"][0] == "many/00001.txt" and good["raw_file"][-1] == "many/09999.txt"
    assert report.rows_in == 10_000


def test_big_jsonl_is_streamed_with_the_same_result(tmp_path: Path) -> None:
    data = (b"\xef\xbb\xbf" + jsonl([{"text": BODY_1, "title": TITLE_1}])
            + b'{"text": "\xff\xfe"}\n' + b"\n" + orjson.dumps({"text": BODY_2 * 30})
            + b"\n[1]\n" + b'{"text": "' + BODY_3.encode()[:31] + b"\n"
            + jsonl([{"text": BODY_3}]))
    write(tmp_path / "big.jsonl", data)
    results = []
    for stream_bytes in (1 << 30, 10):  # read whole, then streamed line by line
        report, good, bad = ingest(tmp_path / str(stream_bytes), tmp_path / "big.jsonl",
                                   stream_bytes=stream_bytes, max_record_bytes=1000)
        results.append((report.to_dict(), good, bad))
    (stats, good, bad), streamed = results
    assert keys(good) == [("big.jsonl", 0), ("big.jsonl", 6)]
    assert good["body"].to_list() == [BODY_1, BODY_3]
    assert dict(zip(bad["raw_record"], bad["reason"], strict=True)) == {
        1: "ingest:encoding", 3: "ingest:too-large", 4: "ingest:invalid-record",
        5: "ingest:invalid-json"}
    assert streamed[0] == stats and streamed[1].equals(good) and streamed[2].equals(bad)


def test_truncated_warc_gz_is_one_rejected_record(tmp_path: Path) -> None:
    from test_ingest_support import html_page, warc_gz

    whole = warc_gz([("https://a.example/1", "2024-01-01T00:00:00Z", html_page(TITLE_1, BODY_1))])
    write(tmp_path / "cut.warc.gz", whole[:30])  # warcio sees "no records" here, silently
    write(tmp_path / "junk.warc", b"not a warc at all\r\n\r\n")
    _, good, bad = ingest(tmp_path, tmp_path / "cut.warc.gz", tmp_path / "junk.warc")
    assert good.height == 0
    # warcio reads the junk line as a legacy ARC header: a "response" that is not HTML
    assert dict(zip(keys(bad), bad["reason"], strict=True)) == {
        ("cut.warc.gz", 0): "ingest:unreadable", ("junk.warc", 0): "ingest:not-html"}
