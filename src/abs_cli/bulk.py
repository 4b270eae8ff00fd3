"""Bulk writes straight to the driver, for the hot paths of set-based commands.

SQLAlchemy's per-row parameter processing (type conversion, name binding) costs more
than SQLite's own work when a command writes 100,000 rows, and PostgreSQL answers a
statement per row far slower than one statement over arrays. These helpers take rows
already in database form (see `db_value`) and write them in one driver call: an
`executemany` on SQLite, a single `unnest(...)` statement on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

Field = tuple[str, str]
"""A column name and its PostgreSQL type (`int`, `bigint`, `text`, `timestamp`, `boolean`)."""


def db_value(column: Any, value: Any, dialect: Dialect) -> Any:
    """A Python value as the driver stores it in `column` (cents, naive UTC time…)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None and value is not None else value


def insert_rows(
    session: Session, table: str, fields: Sequence[Field], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT every row (values in `fields` order) in one driver call."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(name for name, _ in fields)
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in fields)
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"
        connection.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
        return
    markers = ", ".join("?" for _ in fields)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({markers})", rows)


def update_rows(
    session: Session,
    table: str,
    key: Field,
    fields: Sequence[Field],
    rows: list[tuple[Any, ...]],
) -> None:
    """UPDATE `table` by `key`: each row holds the `fields` values, then the key value."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        every = [*fields, key]
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in every)
        aliases = ", ".join(name for name, _ in every)
        assignments = ", ".join(f"{name} = v.{name}" for name, _ in fields)
        sql = (
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({aliases})"
            f" WHERE {table}.{key[0]} = v.{key[0]}"
        )
        connection.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
        return
    assignments = ", ".join(f"{name} = ?" for name, _ in fields)
    sql = f"UPDATE {table} SET {assignments} WHERE {key[0]} = ?"
    connection.exec_driver_sql(sql, rows)
