"""``verify`` catches every tampering the outside tester found, naming the seq; ``import``
refuses whatever ``verify`` would reject, before it writes (exit 2, ledger unchanged).

The rows are forged as an attacker with database access would: correctly chained
(``hash = sha256(prev_hash + payload)``), inserted with plain SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from accounting.canonical import canonical_json
from accounting.errors import InputError
from accounting.store import open_ledger, schema, verify
from accounting.store.power import batch_row
from ecoledger.cli.main import main
from tests.cli.helpers import cli, file_digest
from tests.store.helpers import energy, samples, small_run

RUN = "a" * 32


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def ledger(ledger_url: str) -> Any:
    with open_ledger(ledger_url) as led:
        led.append(small_run(RUN))  # seq 1..5
        yield led


def _forge(led: Any, payload: str) -> int:
    """Append a row behind ecoledger's back, chained correctly after the head."""
    seq, prev = led.head()
    data = json.loads(payload)
    with led.engine.begin() as conn:
        conn.execute(
            insert(schema.entries).values(
                seq=seq + 1,
                id=data["id"],
                run_id=data["run_id"],
                kind=data["kind"],
                recorded_at=data["recorded_at"].replace("Z", "+00:00"),
                payload=payload,
                prev_hash=prev,
                hash=sha(prev + payload),
            )
        )
    return seq + 1


def _energy_payload(joules: float) -> str:
    data = json.loads(canonical_json(energy(RUN, 1.0)))
    data["joules"] = joules
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("joules", [-5.0, math.inf, math.nan])
def test_a_chained_entry_that_breaks_its_schema_is_named(ledger: Any, joules: float) -> None:
    assert verify(ledger).ok
    seq = _forge(ledger, _energy_payload(joules))
    result = verify(ledger)
    assert not result.ok
    assert result.first_bad_seq == seq
    assert "joules" in result.reason


def test_a_power_batch_beyond_the_head_is_named(ledger: Any) -> None:
    head, _ = ledger.head()
    planted = json.loads(canonical_json(samples(RUN, [1.0], [9999.0])))
    with ledger.engine.begin() as conn:
        conn.execute(insert(schema.power_batches).values(**batch_row(head + 7, planted)))
    result = verify(ledger)
    assert not result.ok
    assert result.first_bad_seq == head + 7
    assert "no power_samples entry" in result.reason


def test_seq_at_or_below_zero_is_refused_by_the_database(ledger: Any) -> None:
    payload = canonical_json(energy(RUN, 1.0))
    data = json.loads(payload)
    row = dict(
        id=data["id"],
        run_id=RUN,
        kind="energy",
        recorded_at=data["recorded_at"],
        payload=payload,
        prev_hash="0" * 64,
        hash=sha("0" * 64 + payload),
    )
    for seq in (0, -3):
        with pytest.raises(DBAPIError):
            with ledger.engine.begin() as conn:
                conn.execute(insert(schema.entries).values(seq=seq, **row))
    planted = json.loads(canonical_json(samples(RUN, [1.0], [1.0])))
    with pytest.raises(DBAPIError):
        with ledger.engine.begin() as conn:
            conn.execute(insert(schema.power_batches).values(**batch_row(0, planted)))
    assert verify(ledger).ok


def _drop_guards(led: Any) -> None:
    with led.engine.begin() as conn:
        if led.dialect == "sqlite":
            for name in ("entries_no_update", "entries_seq_positive"):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("DROP TRIGGER entries_append_only ON entries")
            conn.exec_driver_sql("ALTER TABLE entries DROP CONSTRAINT entries_seq_positive")


def test_dropped_triggers_and_a_row_at_seq_zero_are_reported_then_repaired(
    ledger: Any, capsys: Any
) -> None:
    _drop_guards(ledger)
    payload = canonical_json(energy(RUN, 1.0))
    data = json.loads(payload)
    with ledger.engine.begin() as conn:
        conn.execute(
            insert(schema.entries).values(
                seq=0,
                id=data["id"],
                run_id=RUN,
                kind="energy",
                recorded_at=data["recorded_at"],
                payload=payload,
                prev_hash="0" * 64,
                hash=sha("0" * 64 + payload),
            )
        )
    result = verify(ledger)
    assert not result.ok
    assert result.first_bad_seq == 0
    reasons = " | ".join(f.reason for f in result.findings)
    expected_guard = "entries_no_update" if ledger.dialect == "sqlite" else "entries_append_only"
    assert expected_guard in reasons and "entries_seq_positive" in reasons

    code = main(["verify", "--ledger", ledger.location, "--repair-triggers", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # the row at seq 0 is still there: repairing guards hides nothing
    assert expected_guard in out["repaired_triggers"]
    assert [f["seq"] for f in out["findings"]] == [0]
    with pytest.raises(DBAPIError):  # append-only again
        with ledger.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE entries SET kind = 'x' WHERE seq = 1")


def test_only_dropped_triggers_fail_verify_until_repaired(ledger: Any, capsys: Any) -> None:
    _drop_guards(ledger)
    assert main(["verify", "--ledger", ledger.location]) == 1
    assert "missing" in capsys.readouterr().out
    assert main(["verify", "--ledger", ledger.location, "--repair-triggers"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("re-created: ") and "ledger intact" in out


def test_append_refuses_a_non_finite_number(ledger: Any) -> None:
    before = ledger.count()
    with pytest.raises(InputError, match="joules"):
        ledger.append([energy(RUN, math.inf)])
    assert ledger.count() == before
    assert verify(ledger).ok


# -- import --------------------------------------------------------------------------------
def _export(led: Any, out: Path) -> list[dict[str, Any]]:
    rows = [row.__dict__ for row in led.stored()]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def _variant(payload: str, how: str) -> str:
    data = json.loads(payload)
    if how == "spaces":
        return json.dumps(data, sort_keys=True, separators=(", ", ": "), ensure_ascii=False)
    if how == "unsorted keys":
        return json.dumps(dict(reversed(list(data.items()))), separators=(",", ":"))
    if how == "escapes":
        data["window"] = "run"
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return text.replace('"window":"run"', '"window":"\\u0072un"')
    if how == "duplicate keys":
        return payload[:-1] + ',"joules":1.0}'
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["spaces", "unsorted keys", "escapes", "duplicate keys"])
def test_import_refuses_a_non_canonical_payload_whose_hash_matches(
    tmp_path: Path, capsys: Any, how: str
) -> None:
    source = tmp_path / "source.db"
    with open_ledger(str(source)) as led:
        led.append(small_run(RUN))
        rows = _export(led, tmp_path / "export.jsonl")
    forged_payload = _variant(canonical_json(energy(RUN, 1.0)), how)
    assert forged_payload != canonical_json(json.loads(forged_payload))
    data = json.loads(forged_payload)
    prev = rows[-1]["hash"]
    forged = {
        "seq": rows[-1]["seq"] + 1,
        "id": data["id"],
        "run_id": RUN,
        "kind": "energy",
        "recorded_at": data["recorded_at"],
        "payload": forged_payload,
        "prev_hash": prev,
        "hash": sha(prev + forged_payload),
    }
    attack = tmp_path / "attack.jsonl"
    attack.write_text("".join(json.dumps(r) + "\n" for r in [*rows, forged]))
    target = tmp_path / "target.db"
    shutil.copy(source, target)  # the same chain: the forged line is the only new one
    before = file_digest(target)
    result = cli(capsys, "import", str(attack), "--ledger", str(target))
    assert result.code == 2, result.err
    assert result.err.startswith("ecoledger: error: import: line 6")
    assert len(result.err.strip().splitlines()) == 1
    assert file_digest(target) == before
    with open_ledger(str(target), create=False) as led:
        assert verify(led).ok


def test_import_still_takes_a_valid_continuation(tmp_path: Path, capsys: Any) -> None:
    source = tmp_path / "source.db"
    with open_ledger(str(source)) as led:
        led.append(small_run(RUN))
        _export(led, tmp_path / "first.jsonl")
        led.append([energy(RUN, 3.0)])
        _export(led, tmp_path / "export.jsonl")
    target = tmp_path / "target.db"
    with open_ledger(str(target)) as led:
        assert (
            cli(capsys, "import", str(tmp_path / "first.jsonl"), "--ledger", str(target)).code == 0
        )
    result = cli(capsys, "import", str(tmp_path / "export.jsonl"), "--ledger", str(target))
    assert result.code == 0, result.err
    with open_ledger(str(target), create=False) as led:
        assert verify(led).ok and led.count() == 6
