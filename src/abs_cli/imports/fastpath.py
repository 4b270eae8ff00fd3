"""Fast paths that keep the engine near the speed of the sqlite3 shell.

- `row_validator(model)`: a pydantic row model whose fields are all parsed by our own
  `BeforeValidator`s (and that has no model validator) is validated by calling those
  same functions directly: the same rules and messages, without building a model
  instance per row. Other models go through `model_validate`.
- `execute_many(...)`: an `INSERT … ON CONFLICT` of plain tuples through the driver's
  `executemany`, with each column's bind processor applied (UTC datetimes, cents), so
  SQLAlchemy compiles nothing per row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, get_args

from pydantic import BaseModel, BeforeValidator
from sqlalchemy import Table
from sqlalchemy.engine import Connection

Validator = Callable[[dict[str, Any]], dict[str, Any]]

MEMO_LIMIT = 20_000
"""Distinct cells a memoised parser remembers; then it stops growing (memory stays flat,
and a column whose values repeat shows its repeats long before)."""


def memoised(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse`, remembering what it made of the first `MEMO_LIMIT` distinct cells (a
    refused cell is parsed again, to raise again)."""
    memo: dict[str, Any] = {}

    def cached(cell: str) -> Any:
        hit = memo.get(cell)
        if hit is None:
            hit = parse(cell)
            if len(memo) < MEMO_LIMIT:
                memo[cell] = hit
        return hit

    return cached


class _Info:
    """The two attributes of pydantic's `ValidationInfo` our validators read."""

    __slots__ = ("context", "field_name")

    def __init__(self, field_name: str, context: dict[str, Any]) -> None:
        self.field_name = field_name
        self.context = context


class MissingField(ValueError):
    def __init__(self, field_name: str) -> None:
        super().__init__(f"{field_name} is empty (required)")


def _before(field: Any) -> Callable[..., Any] | None:
    """The field's one `BeforeValidator`, also inside `Annotated[...] | None`."""
    metadata = list(field.metadata)
    for argument in get_args(field.annotation):
        metadata.extend(getattr(argument, "__metadata__", ()))
    found = [meta.func for meta in metadata if isinstance(meta, BeforeValidator)]
    return found[0] if len(found) == 1 else None


def chained(parse: Callable[[str], Any], then: Callable[[Any], Any]) -> Callable[[str], Any]:
    """`parse`, its value passed through `then` (a stored form): memoised as one."""
    return lambda cell: then(parse(cell))


def row_validator(model: type[BaseModel], context: dict[str, Any]) -> Validator | None:
    """A direct validator for `model` under `context`, or None when only pydantic can."""
    decorators = model.__pydantic_decorators__
    if (
        decorators.model_validators
        or decorators.field_validators
        or model.model_config.get("extra") not in ("forbid", None)
    ):
        return None
    plan: list[tuple[str, Callable[..., Any] | None, _Info]] = []
    required: list[str] = []
    for name, field in model.model_fields.items():
        function = _before(field)
        if function is None and field.annotation not in (str, str | None):
            return None
        plan.append((name, function, _Info(name, context)))
        if field.is_required():
            required.append(name)
    names = frozenset(model.model_fields)

    def validate(values: dict[str, Any]) -> dict[str, Any]:
        for name in required:
            if name not in values:
                raise MissingField(name)
        if not names.issuperset(values):
            unknown = sorted(set(values) - names)[0]
            raise ValueError(f"{unknown} is not a column of this import")
        result: dict[str, Any] = {}
        for name, function, info in plan:
            if name in values:
                value = values[name]
                result[name] = function(value, info) if function else value
        return result

    return validate


def field_parsers(
    model: type[BaseModel], context: dict[str, Any]
) -> dict[str, tuple[Callable[[str], Any], int | None]]:
    """Each field's parser as a function of the (stripped) cell text alone, with the
    length limit of a plain text field (whose parser then only checks that length)."""
    parsers: dict[str, tuple[Callable[[str], Any], int | None]] = {}
    for name, field in model.model_fields.items():
        function = _before(field)
        if function is None:
            parsers[name] = (str, None)
        else:
            parse = functools.partial(_call, function, _Info(name, context))
            parsers[name] = (parse, getattr(function, "limit", None))
    return parsers


def _call(function: Callable[..., Any], info: _Info, cell: str) -> Any:
    return function(cell, info)


def execute_many(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str] | None,
    update: Sequence[str] = (),
) -> None:
    """`INSERT INTO table (columns) VALUES … ON CONFLICT …` as one driver executemany.

    With `update`, existing rows take `COALESCE(excluded.col, table.col)` for each listed
    column (an empty cell never blanks a stored value); else conflicts are skipped.
    """
    if not rows:
        return
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    name = quote(table.name)
    sql = (
        f"INSERT INTO {name} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)})"
    )
    target = f" ({', '.join(quote(c) for c in conflict)})" if conflict else ""
    if update:
        sets = ", ".join(
            f"{quote(c)} = COALESCE(excluded.{quote(c)}, {name}.{quote(c)})" for c in update
        )
        sql += f" ON CONFLICT{target} DO UPDATE SET {sets}"
    else:
        sql += f" ON CONFLICT{target} DO NOTHING"
    processors = [
        (index, process)
        for index, process in enumerate(
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        )
        if process is not None
    ]
    memos: list[dict[Any, Any]] = [{} for _ in processors]
    params = []
    if not processors:
        conn.exec_driver_sql(sql, [tuple(map(row.get, columns)) for row in rows])
        return
    for row in rows:
        values = list(map(row.get, columns))
        for (index, process), memo in zip(processors, memos, strict=True):
            value = values[index]
            if value is not None:
                # Batches repeat values (the run's timestamp, a few dates): convert each once.
                converted = memo.get(value)
                if converted is None:
                    converted = memo[value] = process(value)
                values[index] = converted
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


def select_in(conn: Connection, sql: str, values: Sequence[Any], chunk: int = 2000) -> list[Any]:
    """Rows of driver SQL ending in `IN` for `values` (plain strings), chunk by chunk.

    Used for the key look-ups of every batch, where compiling a SQLAlchemy `IN` of
    thousands of values would cost more than the query.
    """
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    found: list[Any] = []
    for start in range(0, len(values), chunk):
        part = tuple(values[start : start + chunk])
        placeholders = ", ".join([marker] * len(part))
        found.extend(conn.exec_driver_sql(f"{sql} ({placeholders})", part).fetchall())
    return found
