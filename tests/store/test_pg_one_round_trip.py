"""On PostgreSQL a single-entry append is one round trip: one statement (a server-side
function that takes the append lock, reads the head, hashes and inserts), counted with
SQLAlchemy's ``before_cursor_execute`` on a real server."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import event

from accounting.store import open_ledger, verify
from tests.store.helpers import energy, run_started, samples

pytestmark = pytest.mark.postgres


def test_a_single_append_is_one_statement(postgres_url) -> None:
    with open_ledger(postgres_url()) as ledger:
        ledger.append([run_started("r" * 32)])  # warms the kept connection
        statements: list[str] = []
        event.listen(
            ledger.engine,
            "before_cursor_execute",
            lambda conn, cursor, sql, *rest: statements.append(sql),
        )
        for entry in (energy("r" * 32, 12.5), samples("r" * 32, [1.0, 2.0], [100.0, 110.0])):
            statements.clear()
            ledger.append([entry])
            assert len(statements) == 1, statements
            assert "ecoledger_append_one" in statements[0]
        assert verify(ledger).ok


def test_the_server_computes_the_same_hash(postgres_url) -> None:
    with open_ledger(postgres_url()) as ledger:
        entry = run_started("s" * 32, name='naïve ✓ "q"')
        [digest] = ledger.append([entry])
        [row] = list(ledger.stored())
    assert row.prev_hash == "0" * 64
    assert digest == row.hash
    assert digest == hashlib.sha256(("0" * 64 + row.payload).encode("utf-8")).hexdigest()
    assert 'naïve ✓ \\"q\\"' in row.payload
