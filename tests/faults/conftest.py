from tests.cli.conftest import two_run_ledger

__all__ = ["two_run_ledger"]
