"""What reports, the assessment and the dashboard read from a ledger: :class:`LedgerReader`.

:class:`accounting.store.Ledger` is one; so is anything else that answers these reads (a test
double, a read-only snapshot). Code that only reads takes a ``LedgerReader``, not a ``Ledger``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from accounting.store.ledger import RunIndexRow, StoredEntry
    from accounting.store.power import PowerSeries


class LedgerReader(Protocol):
    """The read side of a ledger."""

    @property
    def display(self) -> str:
        """The ledger's location, any password masked."""
        ...

    def head(self) -> tuple[int, str]:
        """(seq, chain hash) of the last entry."""
        ...

    def runs_index(self) -> tuple[RunIndexRow, ...]: ...

    def resolve_run(self, run_id_or_prefix: str) -> str: ...

    def entries(self, run_id: str | None = None, kinds: Iterable[str] | None = None) -> list[Any]:
        """The entries (frozen models of the ``Entry`` union), in chain order."""
        ...

    def summarized_entries(self, run_id: str, kinds: Iterable[str]) -> list[Any] | None:
        """A run's entries with its energy summed from ``energy_segments``; None when that
        cannot be exact (see ``Ledger.summarized_entries``)."""
        ...

    def run_segments(self, run_id: str) -> list[tuple[float, float, float]] | None:
        """(start_s, end_s, joules) of the run window's energy segments; None without the
        derived table."""
        ...

    def stored(
        self,
        run_id: str | None = None,
        kinds: Iterable[str] | None = None,
        after_seq: int = 0,
        upto_seq: int | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEntry]: ...

    def iter_stored(
        self, page: int = 5000, upto_seq: int | None = None, after_seq: int = 0
    ) -> Iterator[StoredEntry]: ...

    def power_series(
        self,
        run_id: str,
        device_id: str | None = None,
        start_s: float | None = None,
        end_s: float | None = None,
        max_points: int = ...,
    ) -> tuple[PowerSeries, ...]: ...
