"""The ``ingest`` stage: every raw file, archive member and record → RAW_SCHEMA rows.

``run`` walks the raw paths in a fixed order, decides each file's format
(:mod:`.discover`; content before a generic extension: :mod:`.sniff`), opens archives as
streams with bomb limits (:mod:`.archives`) — all of that in a prefetch thread
(:mod:`.units`) — then decides encodings (:mod:`.encoding`) and hands each file to its
reader (:mod:`.readers`); ``ingest.path_pattern`` fills columns from the file's path
(:mod:`.pathfields`). Every raw record leaves either as a row of ``out`` or as a row of
``rejected`` with an ``ingest:<why>`` reason — never both, never neither — and bad input
never raises. Rows are written in bounded batches (:mod:`.writer`), so memory stays flat.
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from akhbar.config import Ingest
from akhbar.ingest.archives import Budget
from akhbar.ingest.discover import decide
from akhbar.ingest.encoding import BinaryContent, EncodingFailure
from akhbar.ingest.pathfields import PathFields
from akhbar.ingest.prefetch import prefetch
from akhbar.ingest.readers import Bad, Batch, Blob, Context, Good, readers_for
from akhbar.ingest.sniff import base_format, extension
from akhbar.ingest.units import Producer, Unit
from akhbar.ingest.writer import STAGE, Writer
from akhbar.params import Params, RawParams, typed
from akhbar.stage import StageReport

__all__ = ["run"]

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _section(params: Params | RawParams) -> Ingest:
    """The ``ingest`` section (a mapping may be the whole params or just that section)."""
    if isinstance(params, dict) and "ingest" not in params:
        params = {"ingest": params}
    return typed(params).ingest


def _blank(data: bytes) -> bool:
    for bom in _BOMS:
        if data.startswith(bom):
            data = data[len(bom):]
            break
    return not data.strip()


class _Files:
    """Per-run state of :func:`_read_blob`: the readers, format overrides, path fields
    and the count of files per (extension, detected format)."""

    def __init__(self, cfg: Ingest) -> None:
        self.readers = readers_for(cfg)
        self.overrides: dict[str, str] = dict(cfg.formats)
        self.paths = PathFields(cfg.path_pattern)
        self.by_extension: dict[str, Counter[str]] = {}

    def count(self, label: str, fmt: str | None) -> None:
        ext = extension(label) or "(none)"
        self.by_extension.setdefault(ext, Counter())[fmt or "unknown"] += 1

    def stats(self) -> dict[str, dict[str, int]]:
        return {ext: dict(sorted(c.items())) for ext, c in sorted(self.by_extension.items())}


class _Producer(Producer):
    """The producer, also counting archives (opened by the producer, never a reader's
    blob) in the per-extension file counts."""

    def __init__(self, cfg: dict[str, Any], files: _Files) -> None:
        super().__init__(cfg)
        self.counted = files

    def _archive(self, kind: str, label: str, stream: IO[bytes], budget: Budget,
                 depth: int) -> Iterator[Unit]:
        self.counted.count(label, kind)
        return super()._archive(kind, label, stream, budget, depth)


def _with_evidence(item_format: str, fmt: str, label: str) -> str:
    """The record's format plus the evidence of the file's decision (``jsonl`` read from a
    file sniffed as JSON in ``.txt`` → ``jsonl (sniffed JSON in .txt)``)."""
    if label.startswith(f"{fmt} ("):
        return item_format + label[len(fmt):]
    return item_format


def _read_blob(unit: Unit, blob: Blob, writer: Writer, ctx: Context, files: _Files) -> None:
    """One file's bytes through its reader; any failure becomes a rejected record."""
    fmt = unit.fmt
    head = blob.head(ctx.excerpt_bytes)
    decided = decide(blob.label, blob.head(), files.overrides)[1] or fmt or "unknown"
    if blob.size == 0 or (blob.data is not None and _blank(blob.data)):
        files.count(blob.label, "empty")
        writer.bad(blob.label, blob.sha256, fmt, Bad(0, "empty-file", "no content", head))
        return
    if fmt is None or fmt not in files.readers:
        files.count(blob.label, base_format(decided))
        writer.bad(blob.label, blob.sha256, decided if fmt else fmt, Bad(
            0, "unknown-format", f"no reader for this extension or content ({decided})", head))
        return
    reader, default_format = files.readers[fmt]
    raw_format = _with_evidence(default_format, fmt, decided)
    extra = files.paths.fields(blob.label)
    counted = False
    last = -1
    try:
        for item in reader(blob, ctx):
            last = max(last, item.raw_record)
            item_format = _with_evidence(item.raw_format, fmt, decided) \
                if item.raw_format else raw_format
            if not counted:
                files.count(blob.label, base_format(item_format))
                counted = True
            if isinstance(item, Batch):
                if item.frame is not None and extra:  # rare: path fields fill as lists
                    item.columns, item.frame = item.frame.to_dict(as_series=False), None
                item.columns = PathFields.fill_columns(item.columns, len(item.raw_records),
                                                       extra)
                writer.batch(blob, item_format, item)
            elif isinstance(item, Good):
                item.fields = PathFields.fill(item.fields, extra)
                writer.good(blob, item_format, item)
            else:
                item.raw_format = item_format
                writer.bad(blob.label, blob.sha256, raw_format, item)
    except BinaryContent as exc:
        writer.bad(blob.label, blob.sha256, raw_format, Bad(0, "binary", str(exc), head))
    except EncodingFailure as exc:
        writer.bad(blob.label, blob.sha256, raw_format, Bad(0, "encoding", str(exc), head))
    except Exception as exc:  # bad input must never stop the build
        writer.bad(blob.label, blob.sha256, raw_format, Bad(
            last + 1, "unreadable", f"{type(exc).__name__}: {exc}", head))
    if not counted:
        files.count(blob.label, base_format(raw_format))


def run(paths: list[Path], out: Path, rejected: Path, params: Params | RawParams,
        max_files: int | None = None) -> StageReport:
    """Read every raw file under ``paths`` into ``out`` (RAW_SCHEMA parts) and
    ``rejected`` (REJECTED_SCHEMA, stage ``ingest``).

    ``params`` is the whole parameter mapping (its ``ingest`` section is used) or the
    section itself. ``max_files`` stops after that many files or archive members (the
    sample of ``akhbar inspect``); a build reads everything.
    """
    report = StageReport(STAGE)
    cfg = _section(params)
    ctx = Context(
        preset=cfg.preset, fields=dict(cfg.fields), max_record_bytes=cfg.max_record_bytes,
        excerpt_bytes=cfg.excerpt_bytes, encoding=cfg.encoding)
    files = _Files(cfg)  # before any output: a bad path_pattern fails here
    writer = Writer(Path(out), Path(rejected), cfg, ctx)
    producer = _Producer(cfg, files)
    try:
        # depth 1: at most three files in memory (produced, queued, being parsed)
        for n, unit in enumerate(prefetch(producer.units([Path(p) for p in paths]), depth=1)):
            if max_files is not None and n >= max_files:
                break
            if unit.blob is not None:
                _read_blob(unit, unit.blob, writer, ctx, files)
            else:
                assert unit.reason is not None
                files.count(unit.label, unit.fmt or unit.reason)
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
        "files_by_extension": files.stats(),
        "path_pattern": dict(sorted(files.paths.counts.items())),
        "encodings": dict(sorted(writer.encodings.items())),
        "reasons": dict(sorted(writer.reasons.items())),
        "skipped": dict(sorted((Counter(producer.skipped) + ctx.skipped).items())),
        "repairs": dict(sorted(ctx.repairs.items())),
    }
    return report.finish()
