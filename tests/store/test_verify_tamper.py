"""Tampering with a real ledger file behind ecoledger's back is found by ``ecoledger verify``.

The append-only triggers are dropped with the ``sqlite3`` shell first, as an attacker would.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess

import psycopg
import pytest

from accounting.store import open_ledger, verify
from accounting.store.verify import repair_triggers
from ecoledger.cli.main import main
from tests.store.helpers import small_run

RUNS = ["a" * 32, "b" * 32, "c" * 32]  # 15 entries: seq 1-5, 6-10, 11-15
DROP_TRIGGERS = """
DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;
DROP TRIGGER power_batches_no_update; DROP TRIGGER power_batches_no_delete;
DROP TRIGGER energy_segments_no_update; DROP TRIGGER energy_segments_no_delete;
DROP TRIGGER energy_segments_seq_positive;
"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def ledger_file(tmp_path):
    path = tmp_path / "ledger.db"
    with open_ledger(str(path)) as ledger:
        for run_id in RUNS:
            ledger.append(small_run(run_id))
    return path


def shell(path, sql: str) -> None:
    if shutil.which("sqlite3"):
        subprocess.run(["sqlite3", str(path)], input=DROP_TRIGGERS + sql, text=True, check=True)
    else:  # pragma: no cover - the sqlite3 shell is installed in CI
        conn = sqlite3.connect(path)
        conn.executescript(DROP_TRIGGERS + sql)
        conn.close()


def row(path, seq: int) -> dict:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    found = conn.execute("SELECT * FROM entries WHERE seq = ?", (seq,)).fetchone()
    conn.close()
    return dict(found)


def restore_triggers(path) -> None:
    """After tampering: put the dropped triggers back, so that only the chain speaks."""
    with open_ledger(str(path), create=False) as ledger:
        assert repair_triggers(ledger)


def run_verify(capsys, path, *extra: str) -> tuple[int, dict]:
    code = main(["verify", "--ledger", str(path), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_an_untouched_ledger_verifies(capsys, ledger_file):
    code, result = run_verify(capsys, ledger_file)
    assert code == 0
    assert result["ok"] is True and result["checked"] == 15 and result["head_seq"] == 15
    assert result["head_hash"] == row(ledger_file, 15)["hash"]
    code = main(["verify", "--ledger", str(ledger_file)])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("ledger intact: 15 entries checked; head 15:")


def test_an_edited_payload_is_named(capsys, ledger_file):
    victim = row(ledger_file, 2)
    assert '"joules":10.0' in victim["payload"]
    shell(
        ledger_file,
        "UPDATE entries SET payload = replace(payload, '\"joules\":10.0', '\"joules\":1.0') WHERE seq = 2;",
    )
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (2, victim["id"])
    assert "entry edited" in result["reason"]
    code = main(["verify", "--ledger", str(ledger_file)])
    out = capsys.readouterr().out
    assert code == 1 and f"seq 2 (id {victim['id']})" in out


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(capsys, ledger_file):
    victim, following = row(ledger_file, 2), row(ledger_file, 3)
    forged = victim["payload"].replace('"joules":10.0', '"joules":1.0')
    shell(
        ledger_file,
        f"UPDATE entries SET payload = '{forged}', hash = '{sha(victim['prev_hash'] + forged)}' WHERE seq = 2;",
    )
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (3, following["id"])
    assert f"seq 2 (id {victim['id']})" in result["reason"]


def test_a_deleted_row_is_named(capsys, ledger_file):
    after = row(ledger_file, 8)
    shell(ledger_file, "DELETE FROM entries WHERE seq = 7;")
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (8, after["id"])
    assert "seq 7 missing" in result["reason"]


def test_a_deleted_row_with_renumbered_seq_is_named(capsys, ledger_file):
    after = row(ledger_file, 8)
    shell(
        ledger_file,
        "DELETE FROM entries WHERE seq = 7;"
        + "".join(f"UPDATE entries SET seq = {s - 1} WHERE seq = {s};" for s in range(8, 16)),
    )
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (7, after["id"])
    assert "prev_hash does not match" in result["reason"]


def test_two_swapped_rows_are_named(capsys, ledger_file):
    fourth = row(ledger_file, 4)
    fifth = row(ledger_file, 5)
    shell(
        ledger_file,
        "UPDATE entries SET seq = -1 WHERE seq = 4; UPDATE entries SET seq = 4 WHERE seq = 5;"
        "UPDATE entries SET seq = 5 WHERE seq = -1;",
    )
    assert row(ledger_file, 4)["id"] == fifth["id"]
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (4, fifth["id"])
    assert fourth["id"] != fifth["id"]


def _forge_between(path, seq: int, good_hash: bool) -> tuple[str, dict]:
    before = row(path, seq - 1)
    template = json.loads(row(path, 2)["payload"])
    template.update(id="f" * 32, joules=1e9)
    payload = json.dumps(template, sort_keys=True, separators=(",", ":"))
    digest = sha(before["hash"] + payload) if good_hash else "0" * 64
    shifts = "".join(
        f"UPDATE entries SET seq = {s + 1} WHERE seq = {s};" for s in range(15, seq - 1, -1)
    )
    shell(
        path,
        shifts + "INSERT INTO entries VALUES "
        f"({seq}, '{'f' * 32}', '{template['run_id']}', 'energy', '{row(path, 2)['recorded_at']}',"
        f" '{payload}', '{before['hash']}', '{digest}');",
    )
    return "f" * 32, before


def test_a_forged_row_with_a_valid_hash_is_named_by_the_entry_it_displaced(capsys, ledger_file):
    displaced = row(ledger_file, 6)
    forged_id, _ = _forge_between(ledger_file, 6, good_hash=True)
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (7, displaced["id"])
    assert f"seq 6 (id {forged_id})" in result["reason"]


def test_a_forged_row_with_a_made_up_hash_is_named(capsys, ledger_file):
    forged_id, _ = _forge_between(ledger_file, 6, good_hash=False)
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (6, forged_id)


def test_a_column_edited_without_its_payload_is_named(capsys, ledger_file):
    victim = row(ledger_file, 12)
    shell(ledger_file, f"UPDATE entries SET run_id = '{'a' * 32}' WHERE seq = 12;")
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (12, victim["id"])
    assert "column run_id" in result["reason"]


def test_edited_power_samples_are_named(capsys, ledger_file):
    victim = row(ledger_file, 9)
    assert victim["kind"] == "power_samples"
    shell(ledger_file, "UPDATE power_batches SET power_w_f64le = zeroblob(24) WHERE seq = 9;")
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (9, victim["id"])
    assert "samples edited" in result["reason"]


def test_an_edited_energy_segment_is_named(capsys, ledger_file):
    victim = row(ledger_file, 2)
    assert victim["kind"] == "energy"
    shell(ledger_file, "UPDATE energy_segments SET joules = 99.0 WHERE seq = 2;")
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (2, victim["id"])
    assert "energy_segments row differs" in result["reason"]
    assert "segment edited" in result["reason"]


def test_a_removed_energy_segment_is_named(capsys, ledger_file):
    victim = row(ledger_file, 7)
    assert victim["kind"] == "energy"
    shell(ledger_file, "DELETE FROM energy_segments WHERE seq = 7;")
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    assert (result["first_bad_seq"], result["first_bad_id"]) == (7, victim["id"])
    assert "segment removed" in result["reason"]


def test_inserted_energy_segments_are_named(capsys, ledger_file):
    assert row(ledger_file, 4)["kind"] == "power_samples"
    copy = (
        "SELECT {seq}, run_id, window_key, device_id, device_kind, device_model, method, "
        "approximated, joules, start_s, end_s, duration_s, count, writer_host, writer_rank, "
        "recorded_at FROM energy_segments WHERE seq = 2"
    )
    shell(
        ledger_file,
        f"INSERT INTO energy_segments {copy.format(seq=4)};"
        f"INSERT INTO energy_segments {copy.format(seq=99)};",
    )
    code, result = run_verify(capsys, ledger_file)
    assert code == 1
    named = {(f["seq"], f["reason"]) for f in result["findings"]}
    assert (4, "an energy_segments row has no energy entry (segment inserted)") in named
    assert (
        99,
        "an energy_segments row has no energy entry (segment inserted beyond the head)",
    ) in named


def test_energy_segments_are_append_only(ledger_file):
    conn = sqlite3.connect(ledger_file)
    for statement in (
        "UPDATE energy_segments SET joules = 0 WHERE seq = 2",
        "DELETE FROM energy_segments WHERE seq = 2",
        "INSERT INTO energy_segments SELECT 0, run_id, window_key, device_id, device_kind, "
        "device_model, method, approximated, joules, start_s, end_s, duration_s, count, "
        "writer_host, writer_rank, recorded_at FROM energy_segments WHERE seq = 2",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="ecoledger"):
            conn.execute(statement)
    conn.close()


def test_removing_the_newest_entries_needs_an_anchor(capsys, ledger_file):
    anchor = f"15:{row(ledger_file, 15)['hash']}"
    # the derived power batch at seq 14 would give it away (see tests/security): cut it too
    shell(
        ledger_file,
        "DELETE FROM entries WHERE seq >= 14; DELETE FROM power_batches WHERE seq >= 14;",
    )
    restore_triggers(ledger_file)
    code, result = run_verify(capsys, ledger_file)
    assert code == 0 and result["head_seq"] == 13  # a chain alone cannot see a cut tail
    code, result = run_verify(capsys, ledger_file, "--anchor", anchor)
    assert code == 1 and result["first_bad_seq"] == 15
    assert "removed from the end" in result["reason"]


def test_a_recomputed_chain_is_caught_by_an_anchor(capsys, ledger_file):
    anchor = f"15:{row(ledger_file, 15)['hash']}"
    conn = sqlite3.connect(ledger_file)
    conn.executescript(DROP_TRIGGERS)
    # the derived segment would give the edit away: the attacker edits it too
    conn.execute("UPDATE energy_segments SET joules = 1.0 WHERE seq = 2")
    rows = conn.execute("SELECT seq, payload FROM entries ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, payload in rows:
        if seq == 2:
            payload = payload.replace('"joules":10.0', '"joules":1.0')
        digest = sha(prev + payload)
        conn.execute(
            "UPDATE entries SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (payload, prev, digest, seq),
        )
        prev = digest
    conn.commit()
    conn.close()
    restore_triggers(ledger_file)
    code, _ = run_verify(capsys, ledger_file)
    assert code == 0
    code, result = run_verify(capsys, ledger_file, "--anchor", anchor)
    assert code == 1 and result["first_bad_seq"] == 15 and "rewritten" in result["reason"]


@pytest.mark.postgres
def test_tampering_on_postgres_is_named(capsys, postgres_url):
    url = postgres_url()
    with open_ledger(url) as ledger:
        for run_id in RUNS:
            ledger.append(small_run(run_id))
        assert verify(ledger).ok
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER entries_append_only ON entries")
        victim_id = conn.execute("SELECT id FROM entries WHERE seq = 7").fetchone()[0]
        conn.execute("UPDATE entries SET payload = replace(payload, 'job', 'jab') WHERE seq = 6")
        conn.execute("DELETE FROM entries WHERE seq = 12")
    code = main(["verify", "--ledger", url, "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["first_bad_seq"] == 6
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 6")
    code = main(["verify", "--ledger", url, "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and (result["first_bad_seq"], result["first_bad_id"]) == (7, victim_id)


def test_a_missing_report_module_is_a_clear_error(capsys, ledger_file, tmp_path, monkeypatch):
    report = tmp_path / "report.json"
    report.write_text("{}")
    import sys

    monkeypatch.setitem(sys.modules, "accounting.reports.verify_report", None)
    code = main(["verify", "--ledger", str(ledger_file), "--report", str(report)])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "ecoledger: error: --report: report verification is not available in this version of ecoledger"
    )


@pytest.mark.parametrize(("report_ok", "code"), [(True, 0), (False, 1)])
def test_a_report_check_joins_the_verdict(
    capsys, ledger_file, tmp_path, monkeypatch, report_ok, code
):
    """``--report`` calls accounting.reports.verify_report.verify_report(ledger, path), whose
    result has ``ok`` and ``message``: a stand-in with that contract, until that module lands."""
    import sys
    import types

    report = tmp_path / "report.json"
    report.write_text(json.dumps({"ok": report_ok}))
    calls = []

    def verify_report(ledger, path):
        calls.append((ledger.head()[0], str(path)))
        return types.SimpleNamespace(
            ok=json.loads(report.read_text())["ok"], message="3 figures compared"
        )

    module = types.ModuleType("accounting.reports.verify_report")
    module.verify_report = verify_report
    monkeypatch.setitem(sys.modules, "accounting.reports.verify_report", module)
    got, result = run_verify(capsys, ledger_file, "--report", str(report))
    assert got == code and calls == [(15, str(report))]
    assert result["ok"] is report_ok and result["report"]["message"] == "3 figures compared"
    assert result["checked"] == 15
