"""Monthly rollups: a report reads a month's aggregates instead of scanning its rows.

Each `Rollup` stores, per month, the rows of one grouped KPI query (the same query the
report runs on the source tables when a filter is given), in a table of its own
(`store/rollup_tables.py`). The writers mark the months they change stale, in their own
transaction (`abs_cli.store.marks`); `ensure` rebuilds the stale and missing months a report
needs, in one short write transaction before the report; `Rollup.read` returns a
period's rows only when every month of it is built and unmarked in the reader's own
snapshot, and None otherwise, so that a report never mixes fresh rows with stale sums:
it falls back to the source query.

A `cumulative` rollup's month depends on every earlier month too (new users: first seen
ever; open deals: every stay still open at the month's end), so a stale mark on a month
covers the months after it as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, insert, or_, select
from sqlalchemy.engine import Connection, Engine, Result, Row
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.sql import CompoundSelect, Select

from abs_cli.kpi.assumptions import KpiSettings
from abs_cli.kpi.periods import Period, shift
from abs_cli.store.engine import BUSY_TIMEOUT_MS, WRITE_OPTION
from abs_cli.store.rollup_tables import ROLLUP_TABLES, kpi_built, kpi_stale
from abs_cli.store.sql import wait_for_locks

WAIT_MS = 1_000
"""How long a report waits for a writer before it reads the source rows instead."""


@dataclass(frozen=True)
class Rollup:
    """One grouped KPI query, stored per month.

    `query(period, where)` selects, for the months of `period`, the rows the table
    holds, in its column order (the first column is the month); `where` is a filter
    the query understands, None for none. The table says which stale marks
    concern it and whether it is cumulative (`ROLLUP_TABLES`).
    """

    table: Table
    query: Callable[[Period, Any], Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]]
    months_before: Callable[[KpiSettings], int] = lambda settings: 0
    """How many months before a report's period it reads too (revenue: the LTV window)."""

    def span(self, period: Period, settings: KpiSettings) -> Period:
        """The months of this rollup a report of `period` reads."""
        return Period(shift(period.first, -self.months_before(settings)), period.last)

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def part(self) -> str:
        return str(self.table.info["part"])

    @property
    def cumulative(self) -> bool:
        return bool(self.table.info.get("cumulative", False))

    def read(self, session: Session, period: Period) -> Result[*tuple[Any, ...]] | None:
        """The period's rows, or None when a month of it is not built or marked stale."""
        months = period.months
        if len(self.built(session, months)) < len(months):
            return None
        stale = kpi_stale.c
        covered = stale.month <= period.last if self.cumulative else stale.month.in_(months)
        marked = select(stale.month).where(stale.part == self.part, covered).limit(1)
        if session.scalar(marked) is not None:
            return None
        return session.execute(select(*self.table.c).where(self.table.c.month.in_(months)))

    def rows(self, session: Session, period: Period, where: Any = None) -> Result[*tuple[Any, ...]]:
        """The period's rows: from the rollup when it can be read, else from the source
        rows. `where` is the query's filter (a report's lead or rep scope); a filtered
        query always reads the source rows."""
        if where is None:
            stored = self.read(session, period)
            if stored is not None:
                return stored
        return session.execute(self.query(period, where))

    def built(self, runner: Connection | Session, months: list[str]) -> set[str]:
        """The months (of `months`) built."""
        query = select(kpi_built.c.month).where(
            kpi_built.c.rollup == self.name, kpi_built.c.month.in_(months)
        )
        return set(runner.scalars(query))

    def missing(self, connection: Connection, months: list[str]) -> list[str]:
        """The months (of `months`) not built."""
        built = self.built(connection, months)
        return [month for month in months if month not in built]

    def build(self, connection: Connection, months: Sequence[str]) -> None:
        """Fill the given months (sorted) from the source rows: one query per run of
        consecutive months."""
        for run in _runs(months):
            connection.execute(delete(self.table).where(self.table.c.month.in_(run)))
            columns = [column.name for column in self.table.c]
            connection.execute(
                insert(self.table).from_select(columns, self.query(Period(run[0], run[-1]), None))
            )
            connection.execute(
                insert(kpi_built), [{"rollup": self.name, "month": month} for month in run]
            )


def ensure(
    engine: Engine, rollups: Iterable[Rollup], period: Period, settings: KpiSettings
) -> bool:
    """Bring the rollups up to date for the period's months, in one write transaction.

    First the stale marks are claimed (deleted, and the built months they cover
    forgotten), then the missing months are built. Returns False when the store cannot
    be written now (read-only, locked by a long import, or another report building the
    same months): the report then reads the source rows, correct but slower.
    """
    chosen = list(rollups)
    try:
        with engine.connect() as connection:
            _wait_briefly(connection)
            try:
                with connection.execution_options(**{WRITE_OPTION: True}).begin():
                    wait_for_locks(connection, WAIT_MS, transaction=True)
                    stale = kpi_stale.c
                    claimed = connection.execute(
                        delete(kpi_stale).returning(stale.part, stale.month)
                    )
                    _forget(connection, claimed.all())
                    for rollup in chosen:
                        months = rollup.span(period, settings).months
                        rollup.build(connection, rollup.missing(connection, months))
            finally:
                _wait_briefly(connection, BUSY_TIMEOUT_MS)
    except (OperationalError, ProgrammingError, IntegrityError):
        # Locked, read-only, or another report built the same months at the same time.
        return False
    return True


def _wait_briefly(connection: Connection, milliseconds: int = WAIT_MS) -> None:
    """How long SQLite waits for another writer's lock (the store's default is 30 s)."""
    wait_for_locks(connection, milliseconds, transaction=False)


def _forget(connection: Connection, marks: Sequence[Row[Any, Any]]) -> None:
    """Drop the built months that the claimed stale marks cover."""
    conditions = []
    for part, month in marks:
        for table in ROLLUP_TABLES:
            if table.info["part"] == part:
                built = kpi_built.c.month
                at = built >= month if table.info.get("cumulative") else built == month
                conditions.append((kpi_built.c.rollup == table.name) & at)
    for start in range(0, len(conditions), 200):
        connection.execute(delete(kpi_built).where(or_(*conditions[start : start + 200])))


def _runs(months: Sequence[str]) -> list[list[str]]:
    """Split sorted months into runs of consecutive ones."""
    runs: list[list[str]] = []
    for month in months:
        if runs and shift(runs[-1][-1], 1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs
