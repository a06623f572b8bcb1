"""The synthetic corpus generator: deterministic, exact size, realistic noise rates."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from datasketch import MinHash, MinHashLSH

from akhbar_dev import synth

N = 3000


def _records(folder: Path) -> list[dict]:
    out: list[dict] = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    out.extend(json.loads(zf.read(name)))
        else:
            out.extend(json.loads(path.read_bytes()))
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    dest = synth.generate(tmp_path_factory.mktemp("syn") / "raw", N, seed=7, per_day=1000)
    return dest, _records(dest)


def test_requested_size_and_day_files(corpus) -> None:
    dest, records = corpus
    assert len(records) == N
    assert sorted(p.name for p in dest.iterdir()) == [
        "2015-07-21.json", "2015-07-22.json", "2015-07-23.json"]
    assert all(r["date_extracted"].startswith("2015-07-22") for r in
               json.loads((dest / "2015-07-22.json").read_bytes()))


def test_records_have_the_six_keys(corpus) -> None:
    _, records = corpus
    assert all(tuple(r) == synth.KEYS for r in records)
    assert all(isinstance(v, str) for r in records for v in r.values())
    assert len({r["url"] for r in records}) == N, "every record gets a new url"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = synth.generate(tmp_path / "a", 500, seed=3, zipped=True, per_day=200)
    b = synth.generate(tmp_path / "b", 500, seed=3, zipped=True, per_day=200)
    c = synth.generate(tmp_path / "c", 500, seed=4, zipped=True, per_day=200)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)
    assert len(_records(a)) == 500


def test_exact_duplicate_and_empty_rates(corpus) -> None:
    _, records = corpus
    bodies = Counter(r["content"] for r in records if r["content"].strip())
    exact = sum(c - 1 for c in bodies.values())
    empty = sum(1 for r in records if not r["content"].strip())
    assert exact == pytest.approx(0.02 * N, abs=0.005 * N)
    assert empty == pytest.approx(0.01 * N, abs=0.003 * N)


def _minhash(text: str) -> MinHash:
    words = text.split()
    m = MinHash(num_perm=64, seed=1)
    m.update_batch([" ".join(words[i:i + 5]).encode() for i in range(len(words) - 4)])
    return m


def _near_count(records: list[dict]) -> int:
    """Records near (Jaccard ≥ 0.7 on word 5-grams) but not equal to an earlier one."""
    lsh = MinHashLSH(threshold=0.7, num_perm=64)
    seen: set[str] = set()
    near = 0
    for i, r in enumerate(records):
        text = r["content"]
        if not text.strip() or text in seen:
            continue
        seen.add(text)
        m = _minhash(text)
        if lsh.query(m):
            near += 1
        lsh.insert(str(i), m)
    return near


def test_near_duplicate_rate(corpus) -> None:
    _, records = corpus
    assert _near_count(records) == pytest.approx(0.03 * N, abs=0.01 * N)


def test_noise_and_footers_present(corpus) -> None:
    _, records = corpus
    text = "\n".join(r["content"] for r in records)
    assert "\u0640" in text and "\u00a0" in text
    assert any(ch in text for ch in "\u064e\u064f\u0650\u0651\u0652")
    lines = Counter(line for r in records for line in set(r["content"].split("\n")))
    top_line, count = lines.most_common(1)[0]
    assert top_line in synth._FOOTERS and count > 0.02 * N


def test_seeded_from_the_shared_corpus(shared_dir: Path, tmp_path: Path) -> None:
    """Seeded from SaudiNewsNet: its outlets, and the same duplicate rates (outlets that
    write a body as one line must not turn into near-copies of their seed bodies)."""
    seed = synth.saudinewsnet_in(shared_dir)
    if seed is None:
        pytest.skip(f"no SaudiNewsNet zips under {shared_dir}")
    n = 3000
    records = _records(synth.generate(tmp_path / "s", n, seed=1, seed_corpus=seed))
    assert len(records) == n
    sources = {r["source"] for r in records}
    assert len(sources) >= 5 and {"alriyadh", "okaz"} <= sources
    bodies = Counter(r["content"] for r in records if r["content"].strip())
    assert sum(c - 1 for c in bodies.values()) == pytest.approx(0.02 * n, abs=0.005 * n)
    assert _near_count(records) == pytest.approx(0.03 * n, abs=0.01 * n)


def test_saudinewsnet_in_takes_the_shared_folder(tmp_path: Path) -> None:
    """The generator finds a seed corpus only where the caller points it."""
    assert synth.saudinewsnet_in(tmp_path) is None
    corpus = tmp_path / "corpora" / "saudinewsnet"
    corpus.mkdir(parents=True)
    assert synth.saudinewsnet_in(tmp_path) is None  # a folder without zips is no corpus
    (corpus / "2015-07-21.zip").write_bytes(b"")
    assert synth.saudinewsnet_in(tmp_path) == corpus


def test_command_line_writes_the_same_corpus(tmp_path: Path) -> None:
    """``python -m akhbar_dev.synth`` is generate() with the same seed."""
    synth.main([str(tmp_path / "cli"), "40", "--seed", "5"])
    direct = synth.generate(tmp_path / "direct", 40, seed=5)
    assert _digest(tmp_path / "cli") == _digest(direct)
    assert len(_records(direct)) == 40


def test_the_library_does_not_import_the_dev_tools() -> None:
    """``akhbar`` (and its CLI) load without ``akhbar_dev``: the tools are not the library."""
    code = ("import sys, akhbar, akhbar.cli, akhbar.build; "
            "sys.exit(any(m.split('.')[0] == 'akhbar_dev' for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
