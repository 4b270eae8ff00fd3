"""Set-based upserts that know what they changed.

Before writing a batch we read the stored rows of its keys in one query, so each row is
counted as inserted, updated or unchanged, and unchanged rows are not written at all
(re-importing a file writes nothing). Empty cells never blank a stored value: a row only
carries the columns the file filled, and the rest are merged from the store.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, tuple_
from sqlalchemy.engine import Connection

IN_CHUNK = 2000


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def fetch_by_key(
    conn: Connection, table: Table, key: Sequence[str], keys: Iterable[Hashable]
) -> dict[Hashable, dict[str, Any]]:
    """Stored rows whose natural key is among `keys`, by key (a value or a tuple)."""
    wanted = list(dict.fromkeys(keys))
    found: dict[Hashable, dict[str, Any]] = {}
    if not wanted:
        return found
    clause = table.c[key[0]] if len(key) == 1 else tuple_(*(table.c[name] for name in key))
    for part in chunks(wanted):
        for row in conn.execute(table.select().where(clause.in_(part))).mappings():
            stored = dict(row)
            found[stored[key[0]] if len(key) == 1 else tuple(stored[n] for n in key)] = stored
    return found


@dataclass
class Diff:
    """A batch split by what the store already holds."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0


def diff_rows(
    rows: Iterable[tuple[Hashable, dict[str, Any]]],
    stored: Mapping[Hashable, Mapping[str, Any]],
) -> Diff:
    """Compare each `(key, values)` with the stored row; changed rows come back merged."""
    diff = Diff()
    for key, values in rows:
        before = stored.get(key)
        if before is None:
            diff.new.append(values)
        elif all(before.get(name) == value for name, value in values.items()):
            diff.unchanged += 1
        else:
            diff.changed.append({**before, **values})
    return diff


def upsert(
    conn: Connection,
    table: Table,
    key: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    update: Sequence[str],
) -> None:
    """`INSERT … ON CONFLICT (key) DO UPDATE` of complete rows, one executemany.

    `update` lists the columns an existing row takes from the file; COALESCE keeps a
    stored value wherever the incoming one is NULL.
    """
    if not rows:
        return
    from abs_cli.imports.fastpath import execute_many

    columns = [name for name in rows[0] if name in table.c and name != "id"]
    execute_many(conn, table, columns, rows, conflict=key, update=update)


def upsert_by_key(
    conn: Connection,
    table: Table,
    key: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    defaults: Mapping[str, Any] | None = None,
    stamps: Mapping[str, Any] | None = None,
) -> Diff:
    """Diff then upsert `rows` (each holding its key columns) by the natural key `key`.

    `defaults` fill new rows only; `stamps` (e.g. `updated_at`) are added to every row
    written but never compared.
    """

    def key_of(row: Mapping[str, Any]) -> Hashable:
        return row[key[0]] if len(key) == 1 else tuple(row[name] for name in key)

    stored = fetch_by_key(conn, table, key, (key_of(row) for row in rows))
    diff = diff_rows(((key_of(row), row) for row in rows), stored)
    stamps = dict(stamps or {})
    new = [{**(defaults or {}), **stamps, **row} for row in diff.new]
    changed = [
        {**row, **{k: v for k, v in stamps.items() if k != "created_at"}} for row in diff.changed
    ]
    columns = {name for row in rows for name in row} | set(stamps) | set(defaults or {})
    update = [
        c.name
        for c in table.c
        if c.name in columns and c.name not in key and c.name not in ("id", "created_at")
    ]
    full = [{name: row.get(name) for name in sorted(columns)} for row in new + changed]
    upsert(conn, table, key, full, update=update)
    return diff
