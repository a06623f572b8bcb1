"""The Dask executor leaves the same bytes as the local stages (ingest → parse → clean → filter).

Small batch sizes make every stage write several batches, parts and shards, so the merge
really has to replay flushes and row groups to match.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from akhbar import params as params_mod
from akhbar.pipeline import Layout, run_stage

distributed = pytest.importorskip("distributed")

from akhbar.distributed import shards as parallel  # noqa: E402

_LEADS = ["أعلنت بلدية مدينة الواحة", "قال مدير مستشفى الساحل", "أكدت جمعية المزارعين في السهل",
          "ذكرت إدارة الميناء الجديد", "أوضح مدرب نادي النخيل"]
_FACTS = ["افتتاح حديقة عامة تضم ممرات للمشي وملاعب للأطفال",
          "زيادة عدد الأسرة في قسم الطوارئ لاستقبال المراجعين",
          "بدء موسم حصاد التمور مبكرا هذا العام بسبب ارتفاع الحرارة",
          "وصول سفينة محملة بمواد البناء إلى الرصيف الشمالي",
          "استعداد الفريق للمباراة النهائية بعد أسبوع من التدريب المكثف"]
_FOOTER = "للمزيد من الأخبار تابعوا موقع الصحيفة"


def _body(i: int) -> str:
    lines = []
    for j in range(6):
        lead, fact = _LEADS[(i + j) % 5], _FACTS[(i * 3 + j) % 5]
        lines.append(f"{lead} عن {fact} في الحي رقم {i * 7 + j} خلال الأسبوع الماضي، "
                     f"مشيرا إلى أن العمل سيستمر حتى نهاية الشهر رقم {j + 1}.")
    if i % 3 == 0:
        lines.append(_FOOTER)
    return "\n".join(lines)


def _article(i: int, day: str) -> dict[str, str]:
    return {"source": ["wahat", "sahil"][i % 2], "url": f"https://news.example/{day}/{i}",
            "date_extracted": f"{day} 0{i % 10}:15:00", "title": f"خبر رقم {i} من الواحة",
            "author": "" if i % 4 else "مراسل الصحيفة",
            "content": "" if i % 17 == 5 else _body(i)}


def _corpus(root: Path, sample: Path) -> list[Path]:
    raw = root / "raw"
    raw.mkdir()
    n = 0
    for day in ("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"):
        records = [_article(n + k, day) for k in range(15)]
        n += 15
        (raw / f"{day}.json").write_text(json.dumps(records, ensure_ascii=False),
                                         encoding="utf-8")
    (raw / "broken.json").write_text('[{"source": "wahat", "content": ', encoding="utf-8")
    return [raw, sample] if sample.is_dir() else [raw]


def _hashes(layout: Layout, stages: list[str]) -> dict[str, str]:
    files = []
    for stage in stages:
        files += sorted(layout.output(stage).rglob("*.parquet"))
        files.append(layout.rejected(stage))
    return {str(f.relative_to(layout.root)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        yield client


def test_parallel_prefix_is_byte_identical(cluster, tmp_path: Path, sample_dir: Path) -> None:
    raw = _corpus(tmp_path, sample_dir)
    params = params_mod.defaults()
    for section, key in (("ingest", "batch_size"), ("parse", "batch_size"),
                         ("clean", "batch_size"), ("quality", "batch_size")):
        params[section][key] = 10
    params["ingest"]["rows_per_file"] = 40
    params["parse"]["rows_per_file"] = 45
    params["quality"]["rows_per_file"] = 25
    stages = parallel.parallel_stages()

    local = Layout(tmp_path / "local")
    for stage in stages:
        run_stage(stage, local, params, raw_paths=raw)
    dist = Layout(tmp_path / "dask")
    parallel.run(raw, dist, params, cluster, stages=stages, shard_batches=4,
                 files_per_shard=4)

    expected, got = _hashes(local, stages), _hashes(dist, stages)
    assert len(list(local.output("ingest").glob("*.parquet"))) >= 3, "several ingest parts"
    assert got == expected
    for stage in stages:
        want = json.loads(local.report(stage).read_text(encoding="utf-8"))[stage]
        got_report = json.loads(dist.report(stage).read_text(encoding="utf-8"))[stage]
        assert {k: got_report[k] for k in ("rows_in", "rows_out", "rejected")} == {
            k: want[k] for k in ("rows_in", "rows_out", "rejected")}
        if stage != "ingest":  # stats included (clean's per-source lines, residue samples)
            assert dist.report(stage).read_bytes() == local.report(stage).read_bytes(), stage
    sources = json.loads(local.report("clean").read_text(encoding="utf-8"))["clean"][
        "stats"]["boilerplate"]["sources"]
    assert any(s["lines_removed"] for s in sources.values()), "the footer is boilerplate"
    assert not (dist.root / "_shards").exists()


def test_ingest_shards_keep_labels(tmp_path: Path) -> None:
    raw = tmp_path / "corpus"
    (raw / "sub").mkdir(parents=True)
    (raw / "a.json").write_text("[]", encoding="utf-8")
    (raw / "sub" / "b.json").write_text("[]", encoding="utf-8")
    shards = parallel._ingest_shards([raw], tmp_path / "shards")
    assert shards is not None and len(shards) == 2
    linked = sorted(str(p.relative_to(tmp_path / "shards")) for p in
                    (tmp_path / "shards").rglob("*.json"))
    assert linked == ["00000/raw/corpus/a.json", "00001/raw/corpus/sub/b.json"]
    shutil.rmtree(tmp_path / "shards")
