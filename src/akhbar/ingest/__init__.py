"""The ``ingest`` stage: every raw file, archive member and record → RAW_SCHEMA rows.

``run`` walks the raw paths in a fixed order, decides each file's format
(:mod:`.discover`), opens archives as streams with bomb limits (:mod:`.archives`) — all
of that in a prefetch thread (:mod:`.units`) — then decides encodings (:mod:`.encoding`)
and hands each file to its reader (:mod:`.readers`). Every raw record leaves either as a
row of ``out`` or as a row of ``rejected`` with an ``ingest:<why>`` reason — never both,
never neither — and bad input never raises. Rows are written in bounded batches
(:mod:`.writer`), so memory stays flat.
"""

from __future__ import annotations

import codecs
from collections import Counter
from pathlib import Path
from typing import Any

from akhbar.ingest.encoding import BinaryContent, EncodingFailure, EncodingParams
from akhbar.ingest.prefetch import prefetch
from akhbar.ingest.readers import READERS, Bad, Batch, Blob, Context, Good
from akhbar.ingest.units import Producer, Unit
from akhbar.ingest.writer import STAGE, Writer
from akhbar.params import section
from akhbar.stage import StageReport

__all__ = ["run"]

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _section(params: dict[str, Any]) -> dict[str, Any]:
    """Accept the whole params mapping or just its ``ingest`` section."""
    return params["ingest"] if isinstance(params.get("ingest"), dict) else params


def _blank(data: bytes) -> bool:
    for bom in _BOMS:
        if data.startswith(bom):
            data = data[len(bom):]
            break
    return not data.strip()


def _read_blob(unit: Unit, blob: Blob, writer: Writer, ctx: Context) -> None:
    """One file's bytes through its reader; any failure becomes a rejected record."""
    fmt = unit.fmt
    head = blob.head(ctx.excerpt_bytes)
    if blob.size == 0 or (blob.data is not None and _blank(blob.data)):
        writer.bad(blob.label, blob.sha256, fmt, Bad(0, "empty-file", "no content", head))
        return
    if fmt is None or fmt not in READERS:
        writer.bad(blob.label, blob.sha256, fmt, Bad(
            0, "unknown-format", "no reader for this extension or content", head))
        return
    reader, raw_format = READERS[fmt]
    last = -1
    try:
        for item in reader(blob, ctx):
            last = max(last, item.raw_record)
            if isinstance(item, Batch):
                writer.batch(blob, item.raw_format or raw_format, item)
            elif isinstance(item, Good):
                writer.good(blob, item.raw_format or raw_format, item)
            else:
                writer.bad(blob.label, blob.sha256, raw_format, item)
    except BinaryContent as exc:
        writer.bad(blob.label, blob.sha256, raw_format, Bad(0, "binary", str(exc), head))
    except EncodingFailure as exc:
        writer.bad(blob.label, blob.sha256, raw_format, Bad(0, "encoding", str(exc), head))
    except Exception as exc:  # bad input must never stop the build
        writer.bad(blob.label, blob.sha256, raw_format, Bad(
            last + 1, "unreadable", f"{type(exc).__name__}: {exc}", head))


def run(paths: list[Path], out: Path, rejected: Path, params: dict[str, Any]) -> StageReport:
    """Read every raw file under ``paths`` into ``out`` (RAW_SCHEMA parts) and
    ``rejected`` (REJECTED_SCHEMA, stage ``ingest``).

    ``params`` is the whole parameter mapping (its ``ingest`` section is used) or the
    section itself.
    """
    report = StageReport(STAGE)
    cfg = _section(params)
    ctx = Context(
        preset=str(cfg.get("preset", "auto")), fields=dict(cfg.get("fields") or {}),
        max_record_bytes=int(cfg.get("max_record_bytes", 64 << 20)),
        excerpt_bytes=int(cfg.get("excerpt_bytes", 200)),
        encoding=section(EncodingParams, cfg.get("encoding")))
    writer = Writer(Path(out), Path(rejected), cfg, ctx)
    producer = Producer(cfg)
    try:
        # depth 1: at most three files in memory (produced, queued, being parsed)
        for unit in prefetch(producer.units([Path(p) for p in paths]), depth=1):
            if unit.blob is not None:
                _read_blob(unit, unit.blob, writer, ctx)
            else:
                assert unit.reason is not None
                writer.bad(unit.label, unit.sha256, unit.fmt,
                           Bad(0, unit.reason, unit.detail, unit.excerpt))
    finally:
        writer.close()
    report.rows_out = writer.rows_out
    report.rows_in = writer.rows_out + writer.rows_bad
    report.rejected = Counter(writer.reasons)
    report.stats = {
        "files": dict(sorted(producer.files.items())),
        "bytes": producer.bytes,
        "formats": dict(sorted(writer.formats.items())),
        "encodings": dict(sorted(writer.encodings.items())),
        "reasons": dict(sorted(writer.reasons.items())),
        "skipped": dict(sorted((Counter(producer.skipped) + ctx.skipped).items())),
        "repairs": dict(sorted(ctx.repairs.items())),
    }
    return report.finish()
