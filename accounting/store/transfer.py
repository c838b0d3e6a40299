"""Moving entries out of and into ledgers: export (CSV, Parquet, JSON Lines), import of a
JSON Lines export, and a verified copy from one ledger to another (SQLite ⇄ PostgreSQL).

An export row carries everything needed to check it: ``seq``, ``id``, ``run_id``, ``kind``,
``recorded_at``, ``payload`` (the canonical JSON, as a string, byte for byte), ``prev_hash``
and ``hash``. An import must continue the destination's chain exactly (or repeat what it
already holds); ``rechain`` instead appends the entries after the destination's head with
new hashes, keeping their ids.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from accounting.entries import entry_from_json
from accounting.errors import InputError, LedgerError
from accounting.output_files import atomic_output, refuse_special
from accounting.store.entry_check import row_problem
from accounting.store.ledger import Ledger, StoredEntry
from accounting.store.verify import VerifyResult, verify

EXPORT_FORMATS = ("csv", "parquet", "jsonl")
COLUMNS = tuple(field.name for field in fields(StoredEntry))
COPY_PAGE = 5000


class ChainBroken(LedgerError):
    """A ledger failed verification, so the operation stopped (a failed check: exit 1)."""


@dataclass(frozen=True)
class ExportResult:
    path: str
    format: str
    entries: int
    run_id: str | None


@dataclass(frozen=True)
class ImportResult:
    read: int
    written: int
    skipped: int
    head_seq: int
    head_hash: str


@dataclass(frozen=True)
class CopyResult:
    copied: int
    skipped: int
    source: VerifyResult
    destination: VerifyResult


# -- export --------------------------------------------------------------------------------
def _rows(ledger: Ledger, run_id: str | None) -> Iterator[StoredEntry]:
    if run_id is None:
        return ledger.iter_stored()
    return ledger.stored(run_id=run_id)


@contextmanager
def _atomic_output(out: str, force: bool, binary: bool) -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``out`` and move it in place only when complete
    (a target that is not a regular file is refused, even with ``force``)."""
    if out == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = Path(out).expanduser()
    refuse_special(target, "`out`")
    if not target.parent.exists():
        raise InputError(f"`out`: folder does not exist: {target.parent}")
    if target.exists() and not force:
        raise InputError(f"`out`: {target} exists (use `force` to overwrite it)")
    with atomic_output(target, binary=binary) as handle:
        yield handle


def export_entries(
    ledger: Ledger, out: str, fmt: str, run_id: str | None = None, force: bool = False
) -> ExportResult:
    """Write the ledger's entries (or one run's) to ``out`` (``-``: stdout, text formats)."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"`format`: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if fmt == "parquet" and out == "-":
        raise InputError("`out`: parquet cannot be written to stdout; give a file name")
    count = 0
    if fmt == "jsonl":
        with _atomic_output(out, force, binary=False) as handle:
            for row in _rows(ledger, run_id):
                handle.write(json.dumps(row.__dict__, ensure_ascii=False, separators=(",", ":")))
                handle.write("\n")
                count += 1
    elif fmt == "csv":
        with _atomic_output(out, force, binary=False) as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for row in _rows(ledger, run_id):
                writer.writerow([getattr(row, name) for name in COLUMNS])
                count += 1
    else:
        count = _export_parquet(ledger, out, run_id, force)
    return ExportResult(out, fmt, count, run_id)


def _export_parquet(ledger: Ledger, out: str, run_id: str | None, force: bool) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise InputError(
            "`format` parquet needs pyarrow: pip install 'ecoledger[parquet]'"
        ) from None
    schema = pa.schema([(name, pa.int64() if name == "seq" else pa.string()) for name in COLUMNS])
    count = 0
    with _atomic_output(out, force, binary=True) as handle:
        with pq.ParquetWriter(handle, schema) as writer:
            page: list[StoredEntry] = []
            for row in _rows(ledger, run_id):
                page.append(row)
                if len(page) == COPY_PAGE:
                    writer.write_table(_arrow_page(pa, schema, page))
                    count += len(page)
                    page = []
            if page or count == 0:
                writer.write_table(_arrow_page(pa, schema, page))
                count += len(page)
    return count


def _arrow_page(pa: Any, schema: Any, page: list[StoredEntry]) -> Any:
    return pa.table({name: [getattr(row, name) for row in page] for name in COLUMNS}, schema=schema)


# -- import --------------------------------------------------------------------------------
def _row_from_line(number: int, line: str) -> StoredEntry:
    where = f"import: line {number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object with {', '.join(COLUMNS)}")
    missing = [name for name in COLUMNS if name not in data]
    if missing:
        raise InputError(f"{where}: missing field {missing[0]!r}")
    extra = sorted(set(data) - set(COLUMNS))
    if extra:
        raise InputError(f"{where}: unknown field {extra[0]!r}")
    seq = data["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InputError(f"{where}: seq must be an integer ≥ 1, got {seq!r}")
    for name in COLUMNS[1:]:
        if not isinstance(data[name], str):
            raise InputError(f"{where}: {name} must be a string")
    for name in ("prev_hash", "hash"):
        value = data[name]
        if len(value) != 64 or any(char not in "0123456789abcdef" for char in value):
            raise InputError(f"{where}: {name} must be 64 lowercase hex digits")
    row = StoredEntry(**data)
    problem = row_problem(row)  # exactly what verify would reject
    if problem and problem.startswith("hash"):
        raise InputError(
            f"{where} (seq {row.seq}, id {row.id}): {problem.replace('entry edited', 'the file was edited')}"
        )
    if problem:
        raise InputError(f"{where}: {problem}")
    return row


def read_jsonl(path: str | Path) -> list[StoredEntry]:
    """Parse and check a JSON Lines export. Blank lines are ignored."""
    source = Path(path).expanduser()
    if not source.is_file():
        raise InputError(f"import: {source} is not a file")
    rows: list[StoredEntry] = []
    try:
        with source.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    rows.append(_row_from_line(number, line))
    except UnicodeDecodeError:
        raise InputError(f"import: {source} is not UTF-8 text (expected a .jsonl export)") from None
    if not rows:
        raise InputError(f"import: {source} holds no entries")
    return rows


def import_jsonl(ledger: Ledger, path: str | Path, *, rechain: bool = False) -> ImportResult:
    """Import a JSON Lines export; all or nothing.

    Without ``rechain`` the rows must continue this ledger's chain (rows it already holds
    are skipped). With ``rechain`` they are appended after the head with new seq and
    hashes, keeping their ids; ids already present are skipped.
    """
    rows = read_jsonl(path)
    if rechain:
        entries = [entry_from_json(row.payload) for row in rows]
        before = ledger.count()
        ledger.append(entries, skip_existing=True)
        written = ledger.count() - before
    else:
        written = ledger.append_stored(rows)
    head_seq, head_hash = ledger.head()
    return ImportResult(len(rows), written, len(rows) - written, head_seq, head_hash)


# -- copy ----------------------------------------------------------------------------------
def _pages(rows: Iterable[StoredEntry], size: int) -> Iterator[list[StoredEntry]]:
    page: list[StoredEntry] = []
    for row in rows:
        page.append(row)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def copy_ledger(source: Ledger, destination: Ledger) -> CopyResult:
    """Copy every entry, keeping seq, ids and hashes, then verify the destination.

    The source is verified first; a broken source is not copied. The destination must be
    empty or hold a prefix of the source (a copy that stopped half way resumes).
    """
    checked = verify(source)
    if not checked.ok:
        raise ChainBroken(f"ledger copy: the source is broken, nothing copied: {checked.message}")
    copied = 0
    for page in _pages(source.iter_stored(upto_seq=checked.head_seq), COPY_PAGE):
        copied += destination.append_stored(page)
    after = verify(destination)
    if not after.ok:
        raise ChainBroken(f"ledger copy: the destination does not verify: {after.message}")
    return CopyResult(copied, checked.checked - copied, checked, after)
