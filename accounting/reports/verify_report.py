"""Check a report against the ledger: ``ecoledger verify --report FILE``.

1. The ledger's chain is intact, and still holds the report's anchor (the chain hash at the
   last entry the report used) at its seq: :func:`accounting.store.verify.verify`.
2. The report is recomputed from the ledger as it stood at that anchor, with the recorded
   assumption settings, scope, command and time, and compared: a JSON report figure by
   figure (each number, the first mismatch named by its path), a Markdown, LaTeX, HTML or
   model-card report line by line (figures inside HTML are pictures and are skipped).

Entries appended after the anchor do not make an old report fail: the recomputation reads a
copy of the ledger's prefix up to the anchor when later entries touch the report's runs.
A PDF cannot be checked (verify the JSON, Markdown or HTML report of the same run).
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accounting.errors import EcoledgerError, InputError
from accounting.reader import LedgerReader
from accounting.reports.document import decode_trailer
from accounting.reports.facts import REPORT_SCHEMA_ID, Scope

if TYPE_CHECKING:
    from accounting.store import Ledger

REL_TOL = 1e-9
ABS_TOL = 1e-12
IGNORED_PATHS = ("provenance.ledger",)
"""The ledger's location may differ (a copy of the ledger checks as well as the original)."""


@dataclass(frozen=True)
class ReportCheck:
    ok: bool
    message: str
    figures_checked: int = 0
    anchor: str = ""


def _fail(message: str, anchor: str = "") -> ReportCheck:
    return ReportCheck(False, message, 0, anchor)


def _read(path: Path) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """(format, recorded parameters, the JSON document for a JSON report)."""
    if not path.is_file():
        raise InputError(f"`report` {path}: file not found")
    raw = path.read_bytes()
    if raw.startswith(b"%PDF"):
        raise InputError(
            f"`report` {path}: a PDF cannot be verified; verify the JSON, Markdown or HTML "
            "report of the same run"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"`report` {path}: not a text report (not UTF-8)") from None
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise InputError(f"`report` {path}: not valid JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("$schema") != REPORT_SCHEMA_ID:
            raise InputError(f"`report` {path}: not an ecoledger JSON report")
        prov = doc.get("provenance") or {}
        params = {
            "format": "json",
            "scope": doc.get("scope"),
            "settings_requested": prov.get("settings_requested", {}),
            "command": prov.get("command", ""),
            "generated_at": prov.get("generated_at", ""),
            "anchor_seq": prov.get("anchor_seq"),
            "anchor_hash": prov.get("anchor_hash"),
            "ledger": prov.get("ledger"),
        }
        return "json", params, doc
    params_or_none = decode_trailer(text)
    if params_or_none is None:
        raise InputError(f"`report` {path}: no ecoledger provenance found in this file")
    return str(params_or_none.get("format", "")), params_or_none, None


def _anchor_of(params: dict[str, Any]) -> tuple[int, str]:
    seq, digest = params.get("anchor_seq"), params.get("anchor_hash")
    if not isinstance(seq, int) or not isinstance(digest, str) or len(digest) != 64:
        raise InputError("report: its provenance has no valid anchor (seq and chain hash)")
    return seq, digest


def _touched_after(ledger: LedgerReader, scope: Scope, seq: int) -> bool:
    """Did entries after ``seq`` touch the runs this report covers (or could cover)?"""
    if ledger.head()[0] <= seq:
        return False
    rows = ledger.runs_index()
    if scope.kind == "project":
        return any(r.project == scope.project and r.last_seq > seq for r in rows)
    by_id = {r.run_id: r for r in rows}
    run = by_id.get(str(scope.run_id))
    if run is None:
        return True
    if run.last_seq > seq:
        return True
    started = next(iter(ledger.entries(run_id=run.run_id, kinds=("run_started",))), None)
    parent = getattr(started, "parent_run_id", None)
    return bool(parent and parent in by_id and by_id[parent].last_seq > seq)


@contextlib.contextmanager
def ledger_as_of(ledger: LedgerReader, seq: int) -> Iterator[Any]:
    """A temporary SQLite copy of the ledger's entries 1..seq (the chain as it stood)."""
    from accounting.store import open_ledger

    with tempfile.TemporaryDirectory(prefix="ecoledger-verify-") as tmp:
        copy = open_ledger(str(Path(tmp) / "as-of.db"))
        try:
            batch: list[Any] = []
            for row in ledger.iter_stored(upto_seq=seq):
                batch.append(row)
                if len(batch) >= 5000:
                    copy.append_stored(batch)
                    batch = []
            copy.append_stored(batch)
            yield copy
        finally:
            copy.close()


def _compare(reported: Any, recomputed: Any, path: str, counter: list[int]) -> str | None:
    if path in IGNORED_PATHS:
        return None
    where = path or "(document)"
    if isinstance(reported, bool) or isinstance(recomputed, bool):
        if reported != recomputed:
            return f"{where}: the report says {reported!r}, the ledger gives {recomputed!r}"
        return None
    if isinstance(reported, int | float) and isinstance(recomputed, int | float):
        counter[0] += 1
        if not math.isclose(reported, recomputed, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return f"{where}: the report says {reported!r}, the ledger gives {recomputed!r}"
        return None
    if isinstance(reported, dict) and isinstance(recomputed, dict):
        for key in sorted(set(reported) | set(recomputed)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in reported or key not in recomputed:
                if sub in IGNORED_PATHS:
                    continue
                side = "report" if key not in reported else "ledger's recomputation"
                return f"{sub}: missing from the {side}"
            problem = _compare(reported[key], recomputed[key], sub, counter)
            if problem:
                return problem
        return None
    if isinstance(reported, list) and isinstance(recomputed, list):
        if len(reported) != len(recomputed):
            return (
                f"{where}: the report lists {len(reported)} items, the ledger gives "
                f"{len(recomputed)}"
            )
        for i, (a, b) in enumerate(zip(reported, recomputed, strict=True)):
            problem = _compare(a, b, f"{path}[{i}]", counter)
            if problem:
                return problem
        return None
    if reported != recomputed:
        return f"{where}: the report says {reported!r}, the ledger gives {recomputed!r}"
    return None


def _first_line_difference(reported: str, recomputed: str) -> str | None:
    a, b = reported.splitlines(), recomputed.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if x != y:
            return (
                f"line {i} differs: the report has {x.strip()[:120]!r}, the ledger gives "
                f"{y.strip()[:120]!r}"
            )
    if len(a) != len(b):
        return f"the report has {len(a)} lines, the ledger's recomputation {len(b)}"
    return None


def _count_numbers(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return 1
    if isinstance(value, dict):
        return sum(_count_numbers(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_numbers(v) for v in value)
    return 0


def verify_report(ledger: Ledger, path: str | Path) -> ReportCheck:
    """Recompute the report at ``path`` from ``ledger`` and compare. Never raises for a
    mismatch (``ok`` is False); raises :class:`InputError` for a file that is no report."""
    from accounting.assessment import AssumptionSettings
    from accounting.reports.generate import gather, render_text
    from accounting.store.verify import Anchor, verify

    report_path = Path(path)
    fmt, params, doc = _read(report_path)
    seq, digest = _anchor_of(params)
    anchor = f"{seq}:{digest}"
    if seq > 0:
        chain = verify(ledger, Anchor(seq, digest))
        if not chain.ok:
            return _fail(f"report NOT verified: {chain.message}", anchor)
    try:
        scope = Scope.from_json(params["scope"])
        settings = AssumptionSettings.from_dict(params.get("settings_requested") or {})
    except (KeyError, TypeError, InputError) as exc:
        raise InputError(f"`report` {report_path}: its provenance is damaged ({exc})") from None
    label = params.get("ledger")
    try:
        with contextlib.ExitStack() as stack:
            source = ledger
            if _touched_after(ledger, scope, seq):
                source = stack.enter_context(ledger_as_of(ledger, seq))
            gathered = gather(
                source,
                scope,
                settings,
                command=str(params.get("command", "")),
                generated_at=str(params.get("generated_at", "")),
                ledger_label=str(label) if label else ledger.display,
            )
            if fmt == "json":
                recomputed: Any = gathered.content.to_json()
            else:
                recomputed = render_text(gathered, fmt)
    except EcoledgerError as exc:
        return _fail(f"report NOT verified: the ledger cannot reproduce it ({exc})", anchor)
    if fmt == "json":
        counter = [0]
        problem = _compare(doc, recomputed, "", counter)
        checked = counter[0]
    else:
        reported_text = report_path.read_text(encoding="utf-8")
        if fmt in ("html", "pdf"):
            from accounting.reports.html import without_figures

            reported_text = without_figures(reported_text)
        problem = _first_line_difference(reported_text, recomputed)
        checked = _count_numbers(gathered.content.to_json())
    if problem:
        return ReportCheck(False, f"report NOT verified: {problem}", checked, anchor)
    return ReportCheck(
        True,
        f"report verified: {checked} figures recomputed from the ledger match; chain intact "
        f"up to seq {seq} (hash {digest[:16]}…)",
        checked,
        anchor,
    )
