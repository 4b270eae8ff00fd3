"""Bulk writes straight to the driver, for the hot paths of set-based commands.

SQLAlchemy's per-row parameter processing (type conversion, name binding) costs more
than SQLite's own work when a command writes 100,000 rows; these helpers convert the
few values that need it once, and hand whole batches to the driver's `executemany`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


def db_value(column: Any, value: Any, dialect: Dialect) -> Any:
    """A Python value as the driver stores it in `column` (cents, naive UTC time…)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None and value is not None else value


def executemany(session: Session, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run `sql` (with `?` markers) once per row, in one driver call.

    Rows must already hold database-ready values (see `db_value`); booleans, integers,
    strings and None pass through unchanged on SQLite and PostgreSQL alike.
    """
    if not rows:
        return
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(sql.replace("?", marker), rows)
