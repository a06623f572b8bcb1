"""``--executor dask`` against real OS processes: a ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1 (no nanny, one thread each), started and stopped by a fixture.

* the dedup stage on the cluster writes the bytes (and the report) of the local stage, on a
  corpus of exact copies, near duplicates, chains and empty texts cut into many ranges;
* ``akhbar build --executor dask --scheduler ...`` publishes the same files as a local build,
  validation's parts run on the workers and ``reports/validation.json`` is byte-identical;
* SIGKILL of one worker in the middle of dedup changes nothing: Dask reruns its tasks.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip(
    "distributed", reason='the "distributed" extra is not installed (uv sync --extra distributed)')

from akhbar import params as params_mod  # noqa: E402
from akhbar import pipeline  # noqa: E402
from akhbar.distributed import dedup as ddedup  # noqa: E402
from akhbar.distributed.local import BIN, dask_processes  # noqa: E402
from akhbar.distributed.shards import _parquet_ranges  # noqa: E402
from akhbar.pipeline import Layout, run_stage  # noqa: E402

_WORDS = ("مدينة ميناء سوق مستشفى مدرسة جامعة بلدية حديقة طريق جسر نادي ملعب مصنع مزرعة "
          "قرية شارع مطار محطة مكتبة متحف").split()
_VERBS = "أعلن أكد قال أوضح ذكر كشف نفى أشار".split()


def _text(i: int) -> str:
    """A distinct ~60-word body per ``i`` (word choice and numbers follow ``i``)."""
    words = []
    for j in range(12):
        words += [_VERBS[(i + j) % 8], "مدير", _WORDS[(i * 7 + j * 3) % 20], "رقم",
                  str(i * 31 + j)]
    return " ".join(words) + "."


def _record(i: int, body: str, day: int) -> dict:
    return {"source": ["wahat", "sahil", "nakhil"][i % 3], "url": f"https://news.example/{i}",
            "date_extracted": f"2024-02-{day:02d} 10:00:00", "title": f"خبر {i}",
            "author": "", "content": body}


def write_corpus(root: Path, files: int = 6, per_file: int = 25) -> Path:
    """Files of articles with exact copies (across files), near duplicates (one number
    changed), a chain of near duplicates, rewrites of one story (a shared head: story
    links, some only after the exact check) and texts too short for any shingle."""
    raw = root / "raw"
    raw.mkdir(parents=True)
    n = 0
    for f in range(files):
        records = []
        for _ in range(per_file):
            i = n
            n += 1
            if i % 10 == 3:
                body = _text(i - 3)  # an exact copy of an article in an earlier row
            elif i % 10 == 5:
                body = _text(i - 5).replace(str((i - 5) * 31), "٩٩٩")  # near duplicate
            elif i % 25 == 7:
                body = _text(7).replace(str(7 * 31 + i % 12), "مرة")  # a chain around 7
            elif i % 10 == 8:  # the same story rewritten: J ≈ 0.38, 0.47 or 0.56
                keep = (35, 40, 44)[(i // 10) % 3]
                body = " ".join(_text(i - 8).split()[:keep] + _text(i + 1000).split()[keep:])
            elif i % 40 == 9:
                body = "خبر قصير"
            else:
                body = _text(i)
            records.append(_record(i, body, 1 + f))
        (raw / f"day-{f:02d}.json").write_text(json.dumps(records, ensure_ascii=False),
                                               encoding="utf-8")
    return raw


def _hashes(root: Path) -> dict[str, str]:
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(root.rglob("*")) if f.is_file()}


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, dict]:
    """The local stages up to filter on the corpus, small batches (many dedup ranges)."""
    root = tmp_path_factory.mktemp("dist")
    raw = write_corpus(root)
    params = params_mod.defaults()
    params["dedup"].update(batch_size=8, rows_per_file=40)
    params["executor"].update(partitions=3, shard_batches=1)
    layout = Layout(root / "local")
    upto = pipeline.names()[: pipeline.index("dedup") + 1]  # every stage up to dedup
    for stage in upto:
        run_stage(stage, layout, params, raw_paths=[raw])
    return layout, params


def _copy_filtered(src: Layout, dst: Layout) -> None:
    import shutil

    shutil.copytree(src.input("dedup"), dst.input("dedup"))  # the table dedup reads


def _dedup_on(address: str, layout: Layout, params: dict, on_wave=None) -> None:
    with distributed.Client(address) as client:
        ranges = _parquet_ranges(layout.input("dedup"), params["dedup"]["batch_size"], 1)
        assert len(ranges) >= 10, "the corpus must span many ranges"
        report, info = ddedup.run(layout.input("dedup"), layout.output("dedup"),
                                  layout.rejected("dedup"), params, client,
                                  layout.root / "_work", ranges, 3, on_wave=on_wave)
        report.write(layout.report("dedup"))
    assert info["label_rounds"] >= 2, "near duplicates must have needed label propagation"


def _dedup_files(layout: Layout) -> dict[str, str]:
    """The bytes of a dedup run: its output parts, rejected rows and report (stats
    included: clusters, story links and sizes)."""
    files = [*sorted(layout.output("dedup").glob("*.parquet")), layout.rejected("dedup"),
             layout.report("dedup")]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _same(a: dict[str, str], b: dict[str, str]) -> bool:
    return a == b


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, list[subprocess.Popen]]]:
    with dask_processes(2) as got:
        yield got


def test_dedup_on_worker_processes_is_byte_identical(cluster, filtered, tmp_path) -> None:
    local, params = filtered
    stats = json.loads(local.report("dedup").read_text(encoding="utf-8"))["dedup"]
    assert stats["rejected"].get("dedup:exact", 0) >= 5
    assert stats["rejected"].get("dedup:near", 0) >= 10
    s = stats["stats"]
    assert s["story_pairs_checked_exactly"] > 0 and s["stories_of_several_articles"] > 0
    assert s["story_pairs_linked"] > s["near_pairs_verified"]
    dist = Layout(tmp_path / "dask")
    _copy_filtered(local, dist)
    _dedup_on(cluster[0], dist, params)
    assert _same(_dedup_files(dist), _dedup_files(local))


@pytest.mark.parametrize("mode", ["hash", "temporal"])
def test_build_through_scheduler_equals_local_build(cluster, tmp_path, mode: str) -> None:
    raw = write_corpus(tmp_path, files=4, per_file=20)
    small = tmp_path / "params.yaml"
    # several split files, buckets and ranges; temporal: the corpus spans four days
    small.write_text("dedup: {batch_size: 16}\nexecutor: {partitions: 3, shard_batches: 1}\n"
                     "parse: {batch_size: 16}\nquality: {batch_size: 16}\n"
                     f"split: {{mode: {mode}, rows_per_file: 15, sort_chunk_rows: 10,"
                     " temporal: {period: day}}\n", encoding="utf-8")
    akhbar = str(BIN / "akhbar")
    with distributed.Client(cluster[0]) as client:
        for name, extra in (("local", []), ("dask", ["--executor", "dask", "--scheduler",
                                                     cluster[0]])):
            # validation and the card run too: validate's parts on the workers (dask)
            with distributed.get_task_stream(client=client) as stream:
                subprocess.run([akhbar, "build", str(raw), "--out", str(tmp_path / name),
                                "--params", str(small), *extra], check=True,
                               capture_output=True)
            ran = {t["key"].split("-")[0] if isinstance(t["key"], str) else t["key"][0]
                   for t in stream.data}
            # the workers ran ingest and filter shards, every dedup wave, stories too, the
            # split's waves and collect's files
            want = {"ingest_shard", "parquet_shard", "sign", "story_verify", "keep", "apply",
                    "split_keys", "split_scatter", "split_sort", "split_write",
                    "collect_rejected", "collect_kept", "validate_part"}
            if mode == "temporal":
                want |= {"split_periods", "combine_periods"}
            assert (want <= ran) == (name == "dask"), (name, sorted(want - ran))
    skip = ("reports/",)  # timings.json and the Data Docs (run time) differ run to run
    got, want = _hashes(tmp_path / "dask"), _hashes(tmp_path / "local")
    assert {k: v for k, v in got.items() if not k.startswith(skip)} == {
        k: v for k, v in want.items() if not k.startswith(skip)}
    assert {"stats.json", "README.md", "reports/validation.json"} <= set(want)
    # one merged GX result: the parts validated on the workers fold into the local report
    assert got["reports/validation.json"] == want["reports/validation.json"]
    assert (tmp_path / "dask" / "reports" / "data_docs" / "index.html").is_file()
    counts = json.loads((tmp_path / "local" / "stats.json").read_text(encoding="utf-8"))
    assert all(counts["articles"][s] for s in ("train", "validation", "test")), counts
    assert len([k for k in want if k.startswith("data/")]) > 3, "a split in several files"
    assert any(k.startswith("rejected/") for k in want)


def test_sigkill_of_a_worker_during_dedup_changes_nothing(filtered, tmp_path) -> None:
    local, params = filtered
    dist = Layout(tmp_path / "dask")
    _copy_filtered(local, dist)
    with dask_processes(2) as (address, workers):
        victim = workers[1]
        killed = threading.Event()

        def kill_when_busy(client: distributed.Client) -> None:
            """SIGKILL the victim as soon as it is processing a task (else after 5 s)."""
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                busy = client.processing()
                if any(tasks and "w1" in str(client.scheduler_info()["workers"]
                                             .get(addr, {}).get("name"))
                       for addr, tasks in busy.items()):
                    break
                time.sleep(0.005)
            os.kill(victim.pid, signal.SIGKILL)
            killed.set()

        monitor = distributed.Client(address)

        def on_wave(name: str) -> None:
            if name == "sign":  # the first wave: MinHash of every range
                threading.Thread(target=kill_when_busy, args=(monitor,), daemon=True).start()

        try:
            _dedup_on(address, dist, params, on_wave=on_wave)
        finally:
            monitor.close()
        assert killed.is_set()
        assert victim.wait(timeout=10) == -signal.SIGKILL
        with distributed.Client(address) as client:
            assert len(client.scheduler_info()["workers"]) == 1, "one worker survived"
    assert _same(_dedup_files(dist), _dedup_files(local))


class _Inline:
    """A client that runs each task at once in this process (so a test can change a
    module constant the tasks read)."""

    def submit(self, fn, *args, pure=False, key=None):
        return fn(*args)

    def gather(self, futures):
        return list(futures)


def test_story_pairs_verified_in_slices_change_nothing(filtered, tmp_path, monkeypatch
                                                       ) -> None:
    """story_buckets writes its pairs band by band in chunks of CHUNK_PAIRS and
    story_verify reads its partition's pairs one id slice at a time when they exceed
    SLICE_PAIRS: many chunks and slices give the local bytes, and pairs never carry a
    signature."""
    from akhbar.distributed import stories as dstories

    local, params = filtered
    monkeypatch.setattr(dstories, "SLICE_PAIRS", 5)
    monkeypatch.setattr(dstories, "CHUNK_PAIRS", 3)
    monkeypatch.setattr(dstories, "ROW_GROUP", 4)
    slices: list[int] = []
    real = dstories.story_verify

    def counted(*args):
        got = real(*args)
        slices.append(got["slices"])
        return got

    monkeypatch.setattr(dstories, "story_verify", counted)
    dist = Layout(tmp_path / "inline")
    _copy_filtered(local, dist)
    ranges = _parquet_ranges(dist.input("dedup"), params["dedup"]["batch_size"], 1)
    report, info = ddedup.run(dist.input("dedup"), dist.output("dedup"),
                              dist.rejected("dedup"), params, _Inline(),
                              dist.root / "_work", ranges, 3)
    report.write(dist.report("dedup"))
    assert max(slices) > 1
    chunks = {f.stem.split("-")[1] for f in (dist.root / "_work" / "spairs").rglob("*.parquet")}
    assert len(chunks) > 1, "story_buckets wrote its pairs in several chunks"
    assert _same(_dedup_files(dist), _dedup_files(local))
    import polars as pl

    spairs = pl.read_parquet(next((dist.root / "_work" / "spairs").rglob("*.parquet")))
    assert spairs.schema == pl.Schema({"a": pl.UInt64, "b": pl.UInt64})
    assert info["distinct_texts"] > 0
