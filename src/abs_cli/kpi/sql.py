"""Portable SQL pieces: month and day keys, epoch seconds, money normalisation.

Each compiles to the native function of SQLite and of PostgreSQL so that every
metric is one query that gives the same integers on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, String, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


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
    from sqlalchemy import func

    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sum_if(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    from sqlalchemy import func

    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def zero() -> ColumnElement[int]:
    return literal(0, Integer)
