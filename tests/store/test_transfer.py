"""export, import and ledger copy, through the CLI, on real files and a real PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import json

import pyarrow.parquet as pq
import pytest

from accounting.store import open_ledger, verify
from ecoledger.cli.main import main
from tests.fixtures.ledgers import write_ledger
from tests.store.helpers import small_run

RUNS = ["a" * 32, "b" * 32, "c" * 32]
FIELDS = ["seq", "id", "run_id", "kind", "recorded_at", "payload", "prev_hash", "hash"]


def make_ledger(location: str, runs=RUNS) -> list:
    write_ledger(location, (small_run(run_id) for run_id in runs))
    return rows_of(location)


def rows_of(location: str) -> list:
    with open_ledger(location, create=False) as ledger:
        return list(ledger.stored())


def state(path) -> tuple:
    with open_ledger(str(path), create=False) as ledger:
        return ledger.count(), ledger.head()


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.db"
    return str(path), make_ledger(str(path))


def test_jsonl_export_holds_every_field_and_checks_out(capsys, tmp_path, source):
    location, stored = source
    out = tmp_path / "all.jsonl"
    code, _, err = cli(
        capsys, "export", "--ledger", location, "--format", "jsonl", "--out", str(out)
    )
    assert code == 0 and "exported 15 entries" in err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [list(line) for line in lines] == [FIELDS] * 15
    assert [line["seq"] for line in lines] == list(range(1, 16))
    for line, row in zip(lines, stored, strict=True):
        assert line == row.__dict__
        assert (
            line["hash"]
            == hashlib.sha256((line["prev_hash"] + line["payload"]).encode()).hexdigest()
        )


def test_csv_and_parquet_exports_of_one_run(capsys, tmp_path, source):
    location, stored = source
    wanted = [row.__dict__ for row in stored if row.run_id == "b" * 32]
    assert len(wanted) == 5
    code, _, _ = cli(
        capsys,
        "export",
        "--ledger",
        location,
        "--run",
        "bbbbbbbb",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "b.csv"),
    )
    assert code == 0
    with (tmp_path / "b.csv").open(newline="") as handle:
        got = [dict(row, seq=int(row["seq"])) for row in csv.DictReader(handle)]
    assert got == wanted
    code, _, _ = cli(
        capsys,
        "export",
        "--ledger",
        location,
        "--run",
        "b" * 32,
        "--format",
        "parquet",
        "--out",
        str(tmp_path / "b.parquet"),
    )
    assert code == 0
    assert pq.read_table(tmp_path / "b.parquet").to_pylist() == wanted


def test_export_does_not_overwrite_without_force(capsys, tmp_path, source):
    location, _ = source
    out = tmp_path / "keep.csv"
    out.write_text("mine\n")
    code, _, err = cli(capsys, "export", "--ledger", location, "--format", "csv", "--out", str(out))
    assert (
        code == 2
        and err.strip() == f"ecoledger: error: --out: {out} exists (use --force to overwrite it)"
    )
    assert out.read_text() == "mine\n"
    code, _, _ = cli(
        capsys, "export", "--ledger", location, "--format", "csv", "--out", str(out), "--force"
    )
    assert code == 0 and out.read_text().startswith("seq,id,run_id")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []


def test_import_into_an_empty_ledger_gives_the_same_chain_and_repeats_write_nothing(
    capsys, tmp_path, source
):
    location, stored = source
    out = tmp_path / "all.jsonl"
    cli(capsys, "export", "--ledger", location, "--format", "jsonl", "--out", str(out))
    target = str(tmp_path / "restored.db")
    code, text, _ = cli(capsys, "import", "--ledger", target, str(out))
    assert code == 0 and text.startswith("imported 15 entries")
    assert rows_of(target) == stored
    code, text, _ = cli(capsys, "import", "--ledger", target, str(out), "--json")
    assert code == 0 and json.loads(text)["written"] == 0 and json.loads(text)["skipped"] == 15
    with open_ledger(target) as ledger:
        assert verify(ledger).ok
        assert ledger.power_series("a" * 32)[0].power_w == (100.0, 110.0, 120.0)


def test_import_continues_a_ledger_that_holds_the_start(capsys, tmp_path, source):
    location, stored = source
    out = tmp_path / "all.jsonl"
    cli(capsys, "export", "--ledger", location, "--format", "jsonl", "--out", str(out))
    first_part = tmp_path / "first.jsonl"
    first_part.write_text("".join(out.read_text().splitlines(keepends=True)[:7]))
    target = str(tmp_path / "t.db")
    assert cli(capsys, "import", "--ledger", target, str(first_part))[0] == 0
    assert cli(capsys, "import", "--ledger", target, str(out))[0] == 0
    assert rows_of(target) == stored


def test_import_that_breaks_the_chain_is_refused_and_writes_nothing(capsys, tmp_path, source):
    location, _ = source
    other = str(tmp_path / "other.db")
    make_ledger(other, ["d" * 32])
    before = state(other)
    out = tmp_path / "all.jsonl"
    cli(capsys, "export", "--ledger", location, "--format", "jsonl", "--out", str(out))
    code, _, err = cli(capsys, "import", "--ledger", other, str(out))
    assert code == 2
    assert err.strip().startswith("ecoledger: error: seq 1 (id ") and "another chain" in err
    assert len(err.strip().splitlines()) == 1
    assert state(other) == before


def test_a_run_export_does_not_import_as_a_chain_but_can_be_rechained(capsys, tmp_path, source):
    location, stored = source
    out = tmp_path / "b.jsonl"
    cli(
        capsys,
        "export",
        "--ledger",
        location,
        "--run",
        "b" * 32,
        "--format",
        "jsonl",
        "--out",
        str(out),
    )
    other = str(tmp_path / "other.db")
    make_ledger(other, ["d" * 32])
    before = state(other)
    code, _, err = cli(capsys, "import", "--ledger", other, str(out))
    assert code == 2 and "does not continue this ledger" in err
    assert state(other) == before
    code, text, _ = cli(capsys, "import", "--ledger", other, str(out), "--rechain")
    assert code == 0 and text.startswith("imported 5 entries")
    with open_ledger(other) as ledger:
        assert verify(ledger).ok and ledger.count() == 10
        wanted = [json.loads(row.payload) for row in stored if row.run_id == "b" * 32]
        assert [json.loads(row.payload) for row in ledger.stored(run_id="b" * 32)] == wanted
    assert cli(capsys, "import", "--ledger", other, str(out), "--rechain")[0] == 0
    assert state(other)[0] == 10


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda line: "{not json", "import: line 3: not valid JSON"),
        (
            lambda line: json.dumps({k: v for k, v in json.loads(line).items() if k != "hash"}),
            "import: line 3: missing field 'hash'",
        ),
        (
            lambda line: line.replace('\\"joules\\":10.0', '\\"joules\\":11.0'),
            "import: line 2 (seq 2, id ",
        ),
        (lambda line: json.dumps({**json.loads(line), "payload": "{}"}), "import: line 3: payload"),
        (
            lambda line: json.dumps({**json.loads(line), "seq": -4}),
            "import: line 3: seq must be an integer",
        ),
    ],
)
def test_a_bad_import_file_is_one_line_exit_2_and_changes_nothing(
    capsys, tmp_path, source, edit, message
):
    location, _ = source
    out = tmp_path / "all.jsonl"
    cli(capsys, "export", "--ledger", location, "--format", "jsonl", "--out", str(out))
    lines = out.read_text().splitlines()
    target_line = 1 if "seq 2" in message else 2
    lines[target_line] = edit(lines[target_line])
    out.write_text("\n".join(lines) + "\n")
    target = tmp_path / "t.db"
    make_ledger(str(target), [])
    before = state(target)
    code, _, err = cli(capsys, "import", "--ledger", str(target), str(out))
    assert code == 2
    assert err.startswith(f"ecoledger: error: {message}") and len(err.strip().splitlines()) == 1
    assert state(target) == before


@pytest.mark.postgres
def test_copy_sqlite_to_postgres_and_back_is_identical(capsys, tmp_path, source, postgres_url):
    location, stored = source
    pg = postgres_url()
    code, text, _ = cli(capsys, "ledger", "copy", location, pg, "--json")
    summary = json.loads(text)
    assert code == 0 and summary["copied"] == 15 and summary["verified"] is True
    assert rows_of(pg) == stored
    back = str(tmp_path / "back.db")
    code, text, _ = cli(capsys, "ledger", "copy", pg, back)
    assert code == 0 and text.startswith("copied 15 entries")
    assert rows_of(back) == stored
    for where in (pg, back):
        with open_ledger(where) as ledger:
            assert verify(ledger).ok
            assert ledger.power_series("c" * 32)[0].power_w == (100.0, 110.0, 120.0)
    code, text, _ = cli(capsys, "ledger", "copy", location, pg)
    assert code == 0 and "copied 0 entries (15 already there)" in text


def test_copy_resumes_into_a_prefix_and_refuses_another_chain(capsys, tmp_path, source):
    location, stored = source
    partial = str(tmp_path / "partial.db")
    with open_ledger(partial) as ledger:
        ledger.append_stored(stored[:6])
    assert cli(capsys, "ledger", "copy", location, partial)[0] == 0
    assert rows_of(partial) == stored
    other = tmp_path / "other.db"
    make_ledger(str(other), ["d" * 32])
    before = state(other)
    code, _, err = cli(capsys, "ledger", "copy", location, str(other))
    assert code == 2 and "another chain" in err
    assert state(other) == before


def test_copy_refuses_a_broken_source(capsys, tmp_path, source):
    import sqlite3

    location, _ = source
    conn = sqlite3.connect(location)
    conn.executescript(
        "DROP TRIGGER entries_no_update; UPDATE entries SET payload = payload || ' ' WHERE seq = 4;"
    )
    conn.close()
    target = tmp_path / "t.db"
    code, _, err = cli(capsys, "ledger", "copy", location, str(target))
    assert code == 1 and "the source is broken, nothing copied" in err and "seq 4" in err
    assert state(target)[0] == 0


def test_copy_to_itself_is_refused(capsys, source):
    location, _ = source
    code, _, err = cli(capsys, "ledger", "copy", location, location)
    assert code == 2 and "same ledger" in err
