"""Fault-matrix rows for the store's hardening (issue 14, part A): attacks on the journal,
the chain and what reads it. ``benchmarks/fault_matrix.py`` calls :func:`store_rows`.

Each row injects the attack into real ledgers (SQLite files, the real CLI in subprocesses)
and reads back what happened. ``row_type`` is the matrix's ``Row`` (passed in, so this file
imports nothing from the script that runs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecoledger", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def _verify_ok(ledger: Path) -> bool:
    return _cli("verify", "--ledger", str(ledger)).returncode == 0


def planted_journal(work: Path, row_type: Callable[..., Any]) -> Any:
    from accounting.canonical import canonical_json
    from accounting.entries import Benefit
    from accounting.store import open_ledger

    row = row_type(
        "journal planted by another local user",
        "`runuser -u nobody` creates `<ledger>.journal/` in a sticky 1777 folder with a "
        "canonical Benefit of 123,456,789 USD for the victim's run; the victim runs again",
    )
    if os.geteuid() != 0 or not shutil.which("runuser"):
        row.notes.append("skipped: needs root and runuser")
        return row
    shared = Path(tempfile.mkdtemp(prefix="ecoledger-shared-", dir="/tmp"))
    try:
        shared.chmod(0o1777)
        ledger = shared / "ledger.db"
        first = _cli("run", "--ledger", str(ledger), "--", "true")
        run_id = first.stdout.strip().splitlines()[-1]
        line = canonical_json(
            Benefit(run_id=run_id, benefit_kind="social", usd=123_456_789.0, rationale="x")
        )
        planted = shared / "ledger.db.journal" / "evil-1-x.jsonl"
        subprocess.run(
            [
                "runuser", "-u", "nobody", "--", "sh", "-c",
                'umask 077 && mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" > "$1"',
                "sh", str(planted), line,
            ],
            check=True,
        )  # fmt: skip
        again = _cli("run", "--ledger", str(ledger), "--", "true")
        with open_ledger(str(ledger), create=False) as led:
            benefits = led.count("benefit")
        warned = "not replayed" in again.stderr and str(planted.parent) in again.stderr
        row.trials = 1
        row.outcomes.append(
            f"job {'exit 0' if again.returncode == 0 else f'exit {again.returncode}'}; "
            f"{benefits} planted entries replayed; file {'kept' if planted.exists() else '**deleted**'}; "
            f"warning naming it: {'yes' if warned else '**no**'}"
        )
        row.statuses.append("completed" if again.returncode == 0 else "**failed**")
        row.verify.append(_verify_ok(ledger))
        row.ok.append(again.returncode == 0 and benefits == 0 and planted.exists() and warned)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    return row


def corrupt_journal(work: Path, row_type: Callable[..., Any]) -> Any:
    from accounting.canonical import canonical_json
    from accounting.entries import Problem, RunStarted
    from accounting.store import open_ledger
    from accounting.store.writer import BufferedWriter

    row = row_type(
        "corrupt journal file sorting first",
        "two stranded journals beside a ledger: the first starts with a line of junk, the "
        "second holds one entry; a new writer starts",
    )
    folder = work / "corrupt.db.journal"
    folder.mkdir(mode=0o700)
    run = "c" * 32
    with open_ledger(str(work / "corrupt.db")) as led:
        led.append([RunStarted(run_id=run, name="c", started_at=datetime.now(UTC))])
        good = Problem(run_id=run, code="t", severity="info", message="kept")
        for name, text in (("a.jsonl", "{junk\n" + canonical_json(good) + "\n"),
                           ("b.jsonl", canonical_json(good) + "\n")):  # fmt: skip
            fd = os.open(folder / name, os.O_CREAT | os.O_WRONLY, 0o600)
            os.write(fd, text.encode())
            os.close(fd)
        warnings: list[str] = []
        replayed = BufferedWriter(led, warn=warnings.append).replay_leftovers()
        aside = (folder / "a.jsonl.corrupt").exists()
    row.trials = 1
    row.outcomes.append(
        f"{replayed} entry replayed from the good journal; corrupt one "
        f"{'moved aside (*.corrupt)' if aside else '**left in place**'}; {len(warnings)} warning"
    )
    row.statuses.append("—")
    row.verify.append(_verify_ok(work / "corrupt.db"))
    row.ok.append(replayed == 1 and aside and len(warnings) == 1)
    return row


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _small_ledger(path: Path) -> None:
    from accounting.store import open_ledger
    from tests.store.helpers import small_run

    with open_ledger(str(path)) as led:
        led.append(small_run("a" * 32))


def non_canonical_import(work: Path, row_type: Callable[..., Any]) -> Any:
    import json

    from accounting.canonical import canonical_json
    from accounting.store import open_ledger
    from tests.cli.helpers import file_digest
    from tests.store.helpers import energy

    row = row_type(
        "`import` of a non-canonical payload whose hash matches",
        "an export plus one forged line per variant (spaces, unsorted keys, a \\u escape, "
        "a duplicate key), `hash = sha256(prev_hash + payload)`, imported into a copy",
    )
    source = work / "import-src.db"
    _small_ledger(source)
    with open_ledger(str(source), create=False) as led:
        rows = [r.__dict__ for r in led.stored()]
    good = canonical_json(energy("a" * 32, 1.0))
    data = json.loads(good)
    variants = {
        "spaces": json.dumps(data, sort_keys=True, separators=(", ", ": ")),
        "unsorted keys": json.dumps(dict(reversed(list(data.items()))), separators=(",", ":")),
        "escapes": good.replace('"window":"run"', '"window":"\\u0072un"'),
        "duplicate keys": good[:-1] + ',"joules":1.0}',
    }
    for how, payload in variants.items():
        prev = rows[-1]["hash"]
        forged = {
            "seq": rows[-1]["seq"] + 1, "id": data["id"], "run_id": data["run_id"],
            "kind": "energy", "recorded_at": data["recorded_at"], "payload": payload,
            "prev_hash": prev, "hash": _sha(prev + payload),
        }  # fmt: skip
        attack = work / "attack.jsonl"
        attack.write_text("".join(json.dumps(r) + "\n" for r in [*rows, forged]))
        target = work / "import-target.db"
        shutil.copy(source, target)
        before = file_digest(target)
        done = _cli("import", str(attack), "--ledger", str(target))
        unchanged = file_digest(target) == before
        row.trials += 1
        row.outcomes.append(
            f"exit {done.returncode}" + ("" if unchanged else ", **ledger changed**")
        )
        row.statuses.append(f"{how}: refused" if done.returncode == 2 else f"{how}: **accepted**")
        row.verify.append(_verify_ok(target))
        row.ok.append(done.returncode == 2 and unchanged)
    return row


def verify_catches(work: Path, row_type: Callable[..., Any]) -> Any:
    import json
    import sqlite3

    from accounting.canonical import canonical_json
    from accounting.store import open_ledger, verify
    from accounting.store.power import batch_row
    from tests.store.helpers import energy, samples

    row = row_type(
        "tampering `verify` used to miss",
        "with SQL on a SQLite copy: a chained entry with joules −5 / inf; a power batch beyond "
        "the head; a row at seq 0 (guard dropped); a trigger dropped; then `--repair-triggers`",
    )
    base = work / "verify-base.db"
    _small_ledger(base)

    def payload(joules: float) -> str:
        data = json.loads(canonical_json(energy("a" * 32, 1.0)))
        data["joules"] = joules
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def entry_sql(seq: int, text: str, prev: str) -> tuple[str, tuple[Any, ...]]:
        data = json.loads(text)
        return (
            "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?)",
            (seq, data["id"], data["run_id"], data["kind"], data["recorded_at"], text, prev,
             _sha(prev + text)),
        )  # fmt: skip

    def negative(conn: sqlite3.Connection, head: int, prev: str) -> int:
        conn.execute(*entry_sql(head + 1, payload(-5.0), prev))
        return head + 1

    def infinite(conn: sqlite3.Connection, head: int, prev: str) -> int:
        conn.execute(*entry_sql(head + 1, payload(float("inf")), prev))
        return head + 1

    def beyond(conn: sqlite3.Connection, head: int, prev: str) -> int:
        values = batch_row(head + 3, json.loads(canonical_json(samples("a" * 32, [1.0], [1.0]))))
        names = ", ".join(values)
        conn.execute(
            f"INSERT INTO power_batches ({names}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )
        return head + 3

    def seq_zero(conn: sqlite3.Connection, head: int, prev: str) -> int:
        conn.execute("DROP TRIGGER entries_seq_positive")
        conn.execute(*entry_sql(0, payload(1.0), "0" * 64))
        return 0

    def trigger(conn: sqlite3.Connection, head: int, prev: str) -> int:
        conn.execute("DROP TRIGGER entries_no_delete")
        return -1

    cases: dict[str, Callable[[sqlite3.Connection, int, str], int]] = {
        "joules −5": negative,
        "joules inf": infinite,
        "batch beyond head": beyond,
        "seq 0": seq_zero,
        "trigger dropped": trigger,
    }
    for name, tamper in cases.items():
        path = work / "verify-case.db"
        shutil.copy(base, path)
        conn = sqlite3.connect(path)
        head, prev = conn.execute(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        want = tamper(conn, head, prev)
        conn.commit()
        conn.close()
        with open_ledger(str(path), create=False) as led:
            result = verify(led)
        named = result.first_bad_seq == want if want >= 0 else "missing" in result.reason
        row.trials += 1
        row.outcomes.append(
            f"{name}: "
            + (
                ("reported" if want < 0 else f"seq {result.first_bad_seq} named")
                if named
                else "**missed**"
            )
        )
        row.verify.append(not result.ok)
        row.ok.append(not result.ok and named)
    repaired = _cli("verify", "--ledger", str(path), "--repair-triggers")
    row.statuses.append(f"`--repair-triggers` after the drop: exit {repaired.returncode}")
    row.ok.append(repaired.returncode == 0)
    row.notes.append(
        "'verify passed' here means verify *failed* on every tampered copy, as it must"
    )
    return row


def bad_entry(work: Path, row_type: Callable[..., Any]) -> Any:
    import json
    import sqlite3

    from tests.fixtures.two_runs import RUN_IDS, write_two_run_ledger

    row = row_type(
        "one entry that does not parse",
        "SQL edit of one run's energy payload (`joules` a string) in a two-run ledger; then "
        "`runs`, `show` of both runs",
    )
    ledger = write_two_run_ledger(work / "bad-entry.db")
    conn = sqlite3.connect(ledger)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute(
        'UPDATE entries SET payload = replace(payload, \'"joules":\', \'"joules":"x","j":\') '
        "WHERE seq = (SELECT min(seq) FROM entries WHERE kind = 'energy' AND run_id = ?)",
        (RUN_IDS[0],),
    )
    conn.commit()
    conn.close()
    runs = _cli("runs", "--ledger", str(ledger), "--json")
    shows = [_cli("show", run_id, "--ledger", str(ledger), "--json") for run_id in RUN_IDS]
    codes = [runs.returncode] + [s.returncode for s in shows]
    problems = [
        [p["code"] for p in json.loads(s.stdout)["problems"]] if s.returncode == 0 else ["error"]
        for s in shows
    ]
    row.trials = 1
    row.outcomes.append(f"`runs`, `show` ×2: exit {', '.join(map(str, codes))}")
    row.statuses.append(
        f"bad run: {'entry_invalid problem' if 'entry_invalid' in problems[0] else '**no problem**'}; "
        f"other run: {'reads clean' if 'entry_invalid' not in problems[1] else '**affected**'}"
    )
    row.verify.append(not _verify_ok(ledger))
    row.ok.append(codes == [0, 0, 0] and "entry_invalid" in problems[0])
    row.notes.append("'verify passed' here means verify *failed* on the edited ledger, as it must")
    return row


def tampered_figures(work: Path, row_type: Callable[..., Any]) -> Any:
    import json
    import sqlite3

    from accounting.store import open_ledger
    from accounting.store.verify import repair_triggers
    from tests.fixtures.two_runs import RUN_IDS, write_two_run_ledger

    row = row_type(
        "tampered figures shown to a reader",
        "an energy payload edited by SQL (1 kWh → 10 Wh), the trigger put back; then `show`, "
        "`assess`, `report` (with and without `--allow-unverified`)",
    )
    ledger = write_two_run_ledger(work / "tampered.db")
    conn = sqlite3.connect(ledger)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute(
        "UPDATE entries SET payload = replace(payload, '\"joules\":3600000.0', "
        "'\"joules\":36000.0') WHERE seq = (SELECT min(seq) FROM entries WHERE kind = 'energy')"
    )
    conn.commit()
    conn.close()
    with open_ledger(str(ledger), create=False) as led:
        repair_triggers(led)
    warned = []
    for argv in (["show", RUN_IDS[0]], ["assess", RUN_IDS[0]]):
        done = _cli(*argv, "--ledger", str(ledger))
        lines = done.stderr.strip().splitlines()
        warned.append(done.returncode == 0 and len(lines) == 1 and "does not verify" in lines[0])
    out = work / "tampered-report.json"
    refused = _cli(
        "report", RUN_IDS[0], "--format", "json", "--out", str(out), "--ledger", str(ledger)
    )
    allowed = _cli(
        "report", RUN_IDS[0], "--format", "json", "--out", str(out), "--ledger", str(ledger),
        "--allow-unverified",
    )  # fmt: skip
    says = out.exists() and "unverified" in json.loads(out.read_text())["provenance"]
    row.trials = 1
    row.outcomes.append(
        f"show/assess warned in one line: {'yes' if all(warned) else '**no**'}; report: exit "
        f"{refused.returncode} (refused), with `--allow-unverified` exit {allowed.returncode}, "
        f"marked unverified: {'yes' if says else '**no**'}"
    )
    row.statuses.append("—")
    row.verify.append(not _verify_ok(ledger))
    row.ok.append(all(warned) and refused.returncode == 1 and allowed.returncode == 0 and says)
    row.notes.append("'verify passed' here means verify *failed* on the edited ledger, as it must")
    return row


def read_only_folder(work: Path, row_type: Callable[..., Any]) -> Any:
    from tests.faults.harness import analyse

    row = row_type(
        "ledger in a read-only folder",
        "`chattr +i` on the ledger's folder (stops even root), then `ecoledger run`; the folder "
        "made writable again, then one more run",
    )
    if os.geteuid() != 0 or not shutil.which("chattr"):
        row.notes.append("skipped: needs root and chattr")
        return row
    folder = work / "shelf"
    folder.mkdir()
    ledger = folder / "ledger.db"
    env = {"XDG_STATE_HOME": str(work / "ro-state")}
    _cli("run", "--ledger", str(ledger), "--", "true", env=env)
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        done = _cli(
            "run", "--ledger", str(ledger), "--", sys.executable, "-c", "print('job ran')", env=env
        )
        read = _cli("runs", "--ledger", str(ledger), env=env)
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    warnings = done.stderr.strip().splitlines()
    run_id = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    _cli("run", "--ledger", str(ledger), "--", "true", env=env)
    o = analyse(str(ledger), run_id)
    ran = done.returncode == 0 and "job ran" in done.stdout
    row.add(
        f"job {'ran, exit 0' if ran else f'**exit {done.returncode}**'}; {len(warnings)} warning; "
        f"`runs` read-only: exit {read.returncode}; written by the next run",
        o,
        ran and len(warnings) == 1 and read.returncode == 0 and o.status == "completed",
    )
    return row


def writer_status(work: Path, row_type: Callable[..., Any]) -> Any:
    import json
    import signal
    import time

    from tests.faults.harness import run_command, start, wait_for_new_run

    row = row_type(
        "writer stopped, then killed (status at once)",
        "`ecoledger run --flush-interval 0.2`: SIGSTOP for 1.5 s, `show`; then SIGKILL, `show` "
        "at once (no 30 s wait)",
        flush_s=0.2,
    )
    ledger = str(work / "status.db")
    job = start(
        run_command(ledger, [sys.executable, "-c", "import time; time.sleep(60)"], flush_s=0.2),
        work,
        tag="writer-status",
    )

    def status(run_id: str) -> str:
        done = _cli("show", run_id, "--ledger", ledger, "--json")
        return str(json.loads(done.stdout)["status"]) if done.returncode == 0 else "error"

    try:
        run_id = wait_for_new_run(ledger, set())
        job.proc.send_signal(signal.SIGSTOP)
        time.sleep(1.5)
        stopped = status(run_id)
        job.proc.send_signal(signal.SIGKILL)
        job.proc.wait(timeout=10)
        t0 = time.monotonic()
        killed = status(run_id)
        after_s = time.monotonic() - t0
    finally:
        if job.proc.poll() is None:
            job.proc.kill()
            job.proc.wait()
    row.trials = 1
    row.outcomes.append(
        f"stopped: `{stopped}`; killed: `{killed}` (a `show` started right after the kill, "
        f"{after_s:.1f} s)"
    )
    row.statuses.append(killed)
    row.verify.append(_verify_ok(Path(ledger)))
    row.ok.append(stopped == "stalled" and killed == "lost")
    return row


def store_rows(work: Path, row_type: Callable[..., Any]) -> list[Any]:
    folder = work / "store-hardening"
    folder.mkdir(exist_ok=True)
    return [
        planted_journal(folder, row_type),
        corrupt_journal(folder, row_type),
        non_canonical_import(folder, row_type),
        verify_catches(folder, row_type),
        bad_entry(folder, row_type),
        tampered_figures(folder, row_type),
        read_only_folder(folder, row_type),
        writer_status(folder, row_type),
    ]
