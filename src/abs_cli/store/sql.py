"""Every difference between SQLite and PostgreSQL, in one place.

The rest of the package writes portable SQLAlchemy and asks this module for the few
pieces that differ: month and day keys, epoch seconds and ages in days (each compiled to
the native function of both databases, so that every metric is one query that gives the
same integers on both); `INSERT … ON CONFLICT`; matching a column against many keys;
string aggregation; lock waits and bulk-load tuning; and bulk writes straight to the
driver (`insert_rows`, `update_rows`).

Bulk writes skip SQLAlchemy's per-row parameter processing (type conversion, name
binding), which costs more than SQLite's own work when a command writes 100,000 rows,
while PostgreSQL answers a statement per row far slower than one statement over arrays.
They take rows already in database form (see `db_value`) and write them in one driver
call: an `executemany` on SQLite, a single `unnest(...)` statement on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    Table,
    Text,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

Bind = Connection | Session


def _dialect(bind: Bind) -> str:
    connection = bind.connection() if isinstance(bind, Session) else bind
    return connection.dialect.name


def is_sqlite(bind: Bind) -> bool:
    """Whether `bind` talks to SQLite (for the few strategies that differ, not for SQL)."""
    return _dialect(bind) == "sqlite"


def upsert(bind: Bind, table: Table) -> Any:
    """The dialect's INSERT into `table`, which supports `ON CONFLICT`."""
    if _dialect(bind) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def match_any(bind: Bind, column: ColumnElement[Any], values: set[str]) -> ColumnElement[bool]:
    """`column` equals one of `values`: one array parameter on PostgreSQL instead of
    thousands of placeholders, an `IN` list on SQLite."""
    if _dialect(bind) == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam("keys", sorted(values), type_=ARRAY(String)))
    return column.in_(values)


def wait_for_locks(connection: Connection, milliseconds: int, *, transaction: bool) -> None:
    """How long to wait for another writer's lock before giving up.

    SQLite: the connection's busy timeout (set outside SQLAlchemy's transaction, it lasts
    until changed back). PostgreSQL: `lock_timeout` for the current transaction only
    (`transaction=True`); outside one there is nothing to set.
    """
    if _dialect(connection) == "sqlite":
        cursor = connection.connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
        cursor.close()
    elif transaction:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(milliseconds)}")


def tune_for_bulk_load(connection: Connection, cache_kb: int, checkpoint_pages: int) -> None:
    """Settings of the import's own session.

    SQLite: a bigger page cache keeps the indexes in memory on large loads, and rarer
    checkpoints copy a page that every batch dirties (random-order index keys) into the
    database once per checkpoint, not once per batch (the WAL grows to `checkpoint_pages`
    on disk instead of 4 MB).

    PostgreSQL: no JIT compilation. A bulk statement's estimated cost passes
    `jit_above_cost`, and compiling its plan took 200–400 ms while running it took a few
    tens: most of an import's time on PostgreSQL went to JIT.
    """
    if _dialect(connection) == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{int(cache_kb)}")
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {int(checkpoint_pages)}")
    else:
        connection.exec_driver_sql("SET jit = off")


def julian_day(bind: Bind, instant: Any) -> float | None:
    """On SQLite, the Julian day of one fixed instant, read once (see `age_in_days`);
    None on PostgreSQL, which needs no such help."""
    if _dialect(bind) != "sqlite":
        return None
    return bind.execute(select(func.julianday(instant))).scalar()


def placeholder(connection: Connection) -> str:
    """The driver's positional parameter marker."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


class month_key(FunctionElement[str]):
    """`YYYY-MM` of a timestamp column."""

    type = String()
    inherit_cache = True


class day_key(FunctionElement[str]):
    """`YYYY-MM-DD` of a timestamp column."""

    type = String()
    inherit_cache = True


class epoch(FunctionElement[int]):
    """Whole seconds since 1970 of a (naive UTC) timestamp column."""

    type = BigInteger()
    inherit_cache = True


@compiles(month_key, "sqlite")
def _month_key_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # Timestamps are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text: a prefix is the key,
    # several times cheaper than parsing with strftime on millions of rows.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_key, "postgresql")
def _month_key_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(day_key, "sqlite")
def _day_key_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(day_key, "postgresql")
def _day_key_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): a conditional count on every database."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sum_if(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def zero() -> ColumnElement[int]:
    return literal(0, Integer)


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


class age_in_days(FunctionElement[float]):
    """Days from `when` to `as_of` as a float: `age_in_days(when, as_of[, as_of_day])`.

    `as_of_day`, the Julian day of a fixed `as_of` read once from SQLite (`julian_day`),
    spares SQLite parsing a bound timestamp on every row: it evaluates `julianday(?)` per
    row (a date function's argument might be 'now'), though it folds `julianday('…')` once.
    PostgreSQL ignores it.
    """

    type = Float()
    inherit_cache = True


@compiles(age_in_days, "sqlite")
def _age_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    when, as_of, *day = list(element.clauses)
    start = compiler.process(day[0], **kw) if day else f"julianday({compiler.process(as_of, **kw)})"
    return f"({start} - julianday({compiler.process(when, **kw)}))"


@compiles(age_in_days, "postgresql")
def _age_pg(element: Any, compiler: Any, **kw: Any) -> str:
    when, as_of = list(element.clauses)[:2]
    return (
        f"(CAST(EXTRACT(EPOCH FROM {compiler.process(as_of, **kw)} - "
        f"{compiler.process(when, **kw)}) AS FLOAT) / 86400.0)"
    )


def days_before(when: Any, as_of: Any, as_of_day: float | None = None) -> ColumnElement[float]:
    """`age_in_days`, with SQLite's pre-read Julian day when there is one."""
    if as_of_day is None:
        return age_in_days(when, as_of)
    return age_in_days(when, as_of, literal(as_of_day, Float))


class rounded_bigint(FunctionElement[int]):
    """A non-negative number rounded half-up to a BIGINT (SQLite's round() returns text)."""

    type = BigInteger()
    inherit_cache = True


@compiles(rounded_bigint, "sqlite")
def _rounded_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) + 0.5 AS BIGINT)"


@compiles(rounded_bigint, "postgresql")
def _rounded_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(round({compiler.process(element.clauses, **kw)}) AS BIGINT)"


class joined_text(FunctionElement[str]):
    """Every value of a group as one text, separated by `separator`:
    `joined_text(value, separator)`, `group_concat` or `string_agg`."""

    type = Text()
    inherit_cache = True


@compiles(joined_text, "sqlite")
def _joined_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    value, separator = list(element.clauses)
    return f"group_concat({compiler.process(value, **kw)}, {compiler.process(separator, **kw)})"


@compiles(joined_text, "postgresql")
def _joined_pg(element: Any, compiler: Any, **kw: Any) -> str:
    value, separator = list(element.clauses)
    text = compiler.process(cast(value, Text), **kw)
    return f"string_agg({text}, {compiler.process(separator, **kw)})"


class email_local(FunctionElement[str]):
    """The part of an e-mail address before the `@` (`jo.smith` of `jo.smith@acme.io`)."""

    type = String()
    inherit_cache = True


@compiles(email_local, "sqlite")
def _email_local_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"substr({column}, 1, instr({column}, '@') - 1)"


@compiles(email_local, "postgresql")
def _email_local_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"split_part({compiler.process(element.clauses, **kw)}, '@', 1)"


class last_chars(FunctionElement[str]):
    """The last `n` characters of a string: `last_chars(column, 9)`."""

    type = String()
    inherit_cache = True


@compiles(last_chars, "sqlite")
def _last_chars_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    column, count = list(element.clauses)
    return f"substr({compiler.process(column, **kw)}, -{compiler.process(count, **kw)})"


@compiles(last_chars, "postgresql")
def _last_chars_pg(element: Any, compiler: Any, **kw: Any) -> str:
    column, count = list(element.clauses)
    return f"right({compiler.process(column, **kw)}, {compiler.process(count, **kw)})"


def distinct_from(bind: Bind, left: str, right: str) -> str:
    """Driver SQL: `left` differs from `right`, a NULL being a value like any other
    (SQLite's `IS NOT`, which older SQLite versions know; the standard elsewhere)."""
    if _dialect(bind) == "sqlite":
        return f"{left} IS NOT {right}"
    return f"{left} IS DISTINCT FROM {right}"


def new_ids(bind: Bind, table: str, seqs: str) -> str:
    """Driver SQL selecting `(seq, id)`: a new id of `table` for each `seq` that the
    query `seqs` selects, ids ascending with `seq` (file order).

    SQLite has one writer at a time: the ids after the largest are free. PostgreSQL draws
    them from the table's sequence, in `seq` order, so concurrent writers never collide.
    """
    if _dialect(bind) == "postgresql":
        # The sequence is looked up once (an InitPlan), not for every row.
        sequence = f"(SELECT pg_get_serial_sequence('{table}', 'id')::regclass)"
        return f"SELECT seq, nextval({sequence}) AS id FROM ({seqs} ORDER BY seq) AS ordered"
    return (
        f"SELECT seq, (SELECT coalesce(max(id), 0) FROM {table}) "
        f"+ row_number() OVER (ORDER BY seq) AS id FROM ({seqs}) AS ordered"
    )


def stored_timestamp(bind: Bind) -> Callable[[datetime], Any]:
    """A UTC datetime as the driver takes it for a timestamp column: on SQLite the text
    SQLAlchemy's `DateTime` stores (`2026-03-31 14:05:00.000000`), written without its
    per-value overhead; on PostgreSQL the naive UTC datetime."""

    def naive(value: datetime) -> datetime:
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def text(value: datetime) -> str:
        if value.tzinfo is not None and value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.isoformat(" ", "microseconds")[:26]  # without a UTC value's "+00:00"

    return text if _dialect(bind) == "sqlite" else naive


def rows_applied_at_once(bind: Bind, sqlite_rows: int, batch_rows: int) -> int:
    """How many staged rows a set-based writer applies per round of statements.

    SQLite: `sqlite_rows`, whose statements probe an index row by row. PostgreSQL: a whole
    transaction's worth (`batch_rows`): each statement costs a few milliseconds whatever
    the rows, and with more of them per statement the planner hashes instead of probing.
    """
    return sqlite_rows if _dialect(bind) == "sqlite" else batch_rows


def copy_rows(
    connection: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Append `rows` (driver values in `columns` order) to `table` in one driver call:
    `COPY … FROM STDIN` on PostgreSQL, an `executemany` on SQLite."""
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor()
        try:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    markers = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({markers})", rows)


def earlier_duplicates_dropped(bind: Bind, table: str, key: Sequence[str]) -> str:
    """Driver SQL deleting every row of `table` but the last (largest `seq`) of each
    `key` (NULLs in a key column compare equal, as in GROUP BY).

    SQLite: `seq NOT IN (SELECT max(seq) … GROUP BY key)`. PostgreSQL hashes that
    subquery only when its result fits in `work_mem`, else it scans it for every row:
    5,000,000 staged activities ran for more than 12 minutes. There, the rows to delete
    are ranked by a window function and deleted by a semi-join, which sorts once.
    """
    columns = ", ".join(key)
    if _dialect(bind) == "postgresql":
        return (
            f"DELETE FROM {table} WHERE seq IN (SELECT seq FROM (SELECT seq, row_number() "
            f"OVER (PARTITION BY {columns} ORDER BY seq DESC) AS n FROM {table}) AS ranked "
            "WHERE n > 1)"
        )
    return f"DELETE FROM {table} WHERE seq NOT IN (SELECT max(seq) FROM {table} GROUP BY {columns})"


def emptied(bind: Bind, table: str) -> str:
    """Driver SQL emptying a TEMP table that a writer fills and empties again each round.

    PostgreSQL: `TRUNCATE`. A `DELETE` leaves the rows' space to a VACUUM that never
    comes (autovacuum skips temporary tables), so the table, and every scan of it,
    grew with each round: `abs leads import` of a million leads took 117 s instead of
    171 s once its chunk table was truncated. SQLite: its `DELETE` without a WHERE
    clause empties the table the same way.
    """
    if _dialect(bind) == "postgresql":
        return f"TRUNCATE {table}"
    return f"DELETE FROM {table}"


def analyze(connection: Connection, table: str) -> None:
    """PostgreSQL: gather the statistics of a (temporary) table the autovacuum never
    sees, so that the planner joins it sensibly. SQLite plans without them."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {table}")
