"""Custom fields: the columns of a leads file that the contract does not name.

Instead of being dropped, such a column becomes a custom field of leads, named by its
header in snake_case (or by `--map "Header=name"`), with a type: the stored one, else
the one declared, else the one inferred from the first rows of the file that fill it
(`number`, `date`, `boolean`, `category`, `text`). A cell that does not fit its field's
type rejects the row like any other bad cell.

Values are checked as the rows stream by and appended, with their line, to a temporary
table each time the import stages a chunk of rows (memory stays flat, whatever the size
of the file). Once the import's writer has applied every row (in its last transaction,
when every lead has its id), the values of the rows that won (the writer's staged rows
left once each key's earlier rows are dropped) go into `lead_field_value` set-based,
joined to their lead by e-mail or external id; an unchanged value is not written. As for
every column, within the file the last valid row of a lead gives its values, as if the
earlier ones were not there (an empty cell leaves the stored value), and a rejected row
gives none.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from decimal import InvalidOperation
from itertools import chain, islice
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, select, text
from sqlalchemy.engine import Connection

from abs_cli.domain import CUSTOM_TYPES
from abs_cli.errors import InputError
from abs_cli.imports.fastpath import memoised
from abs_cli.imports.values import parse_datetime, parse_decimal
from abs_cli.pipeline.config import config_path
from abs_cli.store import tables
from abs_cli.store.journal import (
    insert_journal_paused,
    insert_journal_resumed,
    inserts_journaled,
)
from abs_cli.store.sql import copy_rows, placeholder
from abs_cli.values import now, parse_bool

SAMPLE_ROWS = 1000
"""Rows read ahead to infer the type of a new field."""
MAX_CATEGORIES = 50
"""A new field with at most this many distinct values in the sample is a category."""
FIT_SHARE = 0.98
"""A new field takes a type that at least this share of the sampled values fit: one typo
does not make a column of numbers text (the typo's row is rejected)."""
MAX_TEXT = 1000
BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "y", "n"})


def field_name(header: str, position: int = 0) -> str:
    """`Total Time Spent on Website` → `total_time_spent_on_website`, `Société` →
    `societe`; a header with no letter or digit left is named by its position
    (`column_3`)."""
    ascii_header = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    name = re.sub(r"[^0-9a-z]+", "_", ascii_header.strip().lower()).strip("_")
    if not name:
        return f"column_{position + 1}"
    return ("f_" + name if name[0].isdigit() else name)[:64]


@dataclass(frozen=True)
class Parsing:
    """The file options a custom cell is read with."""

    dayfirst: bool = False
    monthfirst: bool = False
    decimal_comma: bool = False


def parse_value(kind: str, cell: str, options: Parsing) -> tuple[str, float | None]:
    """A cell as (canonical text, number) for a field of type `kind`; ValueError if it
    does not fit."""
    if kind == "number":
        try:
            number = parse_decimal(cell, decimal_comma=options.decimal_comma)
        except (ValueError, InvalidOperation):
            raise ValueError("is not a number") from None
        return format(number.normalize(), "f"), float(number)
    if kind == "boolean":
        flag = parse_bool(cell)
        return ("true" if flag else "false"), float(flag)
    if kind == "date":
        try:
            moment = parse_datetime(cell, dayfirst=options.dayfirst, monthfirst=options.monthfirst)
        except ValueError:
            raise ValueError("is not a date") from None
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z"), moment.timestamp()
    if len(cell) > MAX_TEXT:
        raise ValueError(f"is longer than {MAX_TEXT} characters")
    return cell, None


def infer_type(values: Iterable[str], options: Parsing) -> str:
    """The narrowest type that (nearly) every sampled value fits (`FIT_SHARE`)."""
    sample = [value for value in values if value]
    if not sample:
        return "text"
    allowed = len(sample) * (1 - FIT_SHARE)
    for kind in ("boolean", "number", "date"):
        misfits = 0
        for value in sample:
            if kind == "boolean" and value.lower() not in BOOLEAN_WORDS:
                misfits += 1
                continue
            try:
                parse_value(kind, value, options)
            except ValueError:
                misfits += 1
            if misfits > allowed:
                break
        if misfits <= allowed:
            return kind
    return "category" if len(set(sample)) <= MAX_CATEGORIES else "text"


@dataclass
class CustomField:
    id: int | None
    name: str
    type: str
    header: str
    new: bool

    def document(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "header": self.header, "new": self.new}


def stored_fields(connection: Connection, entity: str) -> dict[str, tuple[int, str]]:
    """The store's custom fields of leads or accounts: name → (id, type)."""
    custom = tables.custom_field.c
    rows = connection.execute(
        select(custom.name, custom.id, custom.type).where(custom.entity == entity)
    )
    return {name: (int(field_id), kind) for name, field_id, kind in rows}


@dataclass
class CustomColumns:
    """The custom columns of one leads or accounts import: their fields, checks and
    staged values."""

    entity: str
    """`lead` or `account`: whose fields these are."""
    columns: dict[int, str]
    """File position → header, for every column that becomes a custom field."""
    renamed: dict[int, str]
    """File position → field name given with `--map`."""
    declared: dict[str, str]
    options: Parsing
    reject: Callable[[int, list[str], str], None]
    """Where a row with a bad custom cell goes (the import's rejects)."""
    fields: dict[int, CustomField] = field(default_factory=dict)
    written: int = 0
    _connection: Connection | None = None
    _staged: list[tuple[Any, ...]] = field(default_factory=list)
    """Values read since the last `spill`, a row per line: its line, then the text and
    number of each field (None where its cell is empty)."""
    _rejected: set[int] = field(default_factory=set)
    """Lines rejected since the last `spill`."""
    _spilled: bool = False
    _dry_run: bool = False

    def attach(
        self, connection: Connection, rows: Iterator[tuple[int, list[str]]], *, dry_run: bool
    ) -> Iterator[tuple[int, list[str]]]:
        """Type the fields (reading ahead a sample for new ones), create the new ones
        (not on a dry run) and return the rows, those with a bad custom cell left out
        and handed to `reject`."""
        self._connection = connection
        self._dry_run = dry_run
        ahead = list(islice(rows, SAMPLE_ROWS))
        with connection.begin():
            stored = stored_fields(connection, self.entity)
            for position, header in self.columns.items():
                name = self.renamed.get(position) or field_name(header, position)
                if name in stored:
                    field_id, kind = stored[name]
                    self.fields[position] = CustomField(field_id, name, kind, header, False)
                    continue
                kind = self.declared.get(name) or infer_type(
                    (cells[position].strip() for _, cells in ahead if position < len(cells)),
                    self.options,
                )
                self.fields[position] = CustomField(None, name, kind, header, True)
            if not dry_run:
                self._create(connection)
            staging = _staging_tables(len(self.fields))
            staging.drop_all(connection, checkfirst=True)
            staging.create_all(connection)
        return self._checked(chain(ahead, rows))

    def _create(self, connection: Connection) -> None:
        custom = tables.custom_field
        stamp = now()
        for custom_field in self.fields.values():
            if custom_field.new and custom_field.id is None:
                custom_field.id = connection.execute(
                    custom.insert()
                    .values(
                        entity=self.entity,
                        name=custom_field.name,
                        type=custom_field.type,
                        header=custom_field.header[:200],
                        created_at=stamp,
                    )
                    .returning(custom.c.id)
                ).scalar_one()

    def _checked(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
        plan = [
            (
                position,
                custom_field,
                slot // GROUP,
                2 + 2 * (slot % GROUP),
                _memoised(custom_field.type, self.options),
            )
            for slot, (position, custom_field) in enumerate(self.fields.items())
        ]
        staged = not self._dry_run
        width = _group_width(len(plan))
        empty: list[Any] = [None] * (2 + 2 * width)
        for line, cells in rows:
            present = len(cells)
            groups: dict[int, list[Any]] = {}
            reason = None
            for position, custom_field, group, column, parse in plan:
                cell = cells[position].strip() if position < present else ""
                if not cell:
                    continue
                try:
                    text_value, number = parse(cell)
                except ValueError as error:
                    reason = f"{custom_field.name} {cell!r} {error} ({custom_field.type} field)"
                    break
                values = groups.get(group)
                if values is None:
                    values = groups[group] = empty.copy()
                    values[0], values[1] = line, group
                values[column] = text_value
                values[column + 1] = number
            if reason is not None:
                self.reject(line, cells, reason)
                continue
            if staged:
                for values in groups.values():
                    self._staged.append(tuple(values))
            yield line, cells

    def rejected(self, line: int) -> None:
        """A row the import rejected for another reason: its custom values are dropped."""
        self._rejected.add(line)

    def spill(self) -> None:
        """Append the values read so far, but those of rejected rows, to the temporary
        table (inside the transaction that stages the same rows)."""
        connection = self._connection
        if connection is None:
            return
        rejected = self._rejected
        rows = [row for row in self._staged if row[0] not in rejected]
        self._staged, self._rejected = [], set()
        if rows:
            copy_rows(connection, ROWS, _row_columns(len(self.fields)), rows)
            self._spilled = True

    def flush(self, winners: str) -> None:
        """Once every row is applied (inside the last transaction): write the values of
        the rows left in `winners`, the import's staged rows (`seq`: their line, `k`:
        their key) once each key's earlier rows are dropped; set-based, leaving out the
        rows rejected meanwhile."""
        connection = self._connection
        if connection is None:
            return
        self.spill()
        rejected, self._rejected = sorted(self._rejected), set()
        if not self._spilled:
            return
        run = connection.exec_driver_sql
        marker = placeholder(connection)
        for start in range(0, len(rejected), REJECTED_CHUNK):
            part = rejected[start : start + REJECTED_CHUNK]
            run(
                f"DELETE FROM {ROWS} WHERE line IN ({', '.join(marker for _ in part)})",
                tuple(part),
            )
        field_ids = [custom_field.id or 0 for custom_field in self.fields.values()]
        self.written += _apply_staged(connection, self.entity, winners, field_ids)
        run(f"DELETE FROM {ROWS}")
        self._spilled = False

    def close(self) -> None:
        """Drop the temporary tables."""
        if self._connection is not None:
            with self._connection.begin():
                _staging_tables(len(self.fields)).drop_all(self._connection, checkfirst=True)


def _memoised(kind: str, options: Parsing) -> Callable[[str], tuple[str, float | None]]:
    """`parse_value` for one field, remembering up to `MEMO_LIMIT` distinct cells."""
    return memoised(functools.partial(parse_value, kind, options=options))


ROWS = "abs_import_custom_rows"
GROUP = 100
"""Fields per staged row and per statement that writes them: a table may not be wider
than 2,000 columns on SQLite (1,600 on PostgreSQL), nor a compound SELECT list more than
500 terms on SQLite."""
REJECTED_CHUNK = 500


def _group_width(fields: int) -> int:
    return max(1, min(fields, GROUP))


def _row_columns(fields: int) -> list[str]:
    """A staged row's columns: its line, its group of fields, then the text and number
    of each field of the group (`t0`, `n0`, `t1`…, in the order of
    `CustomColumns.fields`)."""
    slots = range(_group_width(fields))
    return ["line", "grp", *(f"{part}{slot}" for slot in slots for part in ("t", "n"))]


def _staging_tables(fields: int) -> MetaData:
    """The values read, a row per line and group of `GROUP` fields that has any (file
    order); `_apply_staged` writes those of the winning rows.

    One wide row per line rather than one row per value: a HubSpot export of 200,000
    leads with two custom columns staged 400,000 rows, now 200,000 (the appends took
    0.32 s, now 0.25 s, and the values are read and filtered once per row)."""
    metadata = MetaData()
    types: dict[str, Any] = {"t": String, "n": Float}
    columns = (Column(name, types.get(name[0], Integer)) for name in _row_columns(fields))
    Table(ROWS, metadata, *columns, prefixes=["TEMPORARY"])
    return metadata


JOINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lead": (
        "lead",
        (
            "JOIN lead o ON o.email = s.k",
            "JOIN lead o ON o.external_id = substr(s.k, 2) AND s.k LIKE '#%'",
        ),
    ),
    "account": ("account", ("JOIN account o ON o.domain = s.k",)),
}
"""Per entity: the owner table, and how a staged key finds its row."""


def _apply_staged(connection: Connection, entity: str, winners: str, field_ids: list[int]) -> int:
    """Upsert the staged values of the winning rows into the entity's value table (leads
    by e-mail, then by external id; accounts by domain), in the order of their rows; a
    value equal to the stored one is not written. `field_ids`: the id of each staged
    field, in slot order (written `GROUP` fields per statement). Returns the values
    written.

    On SQLite inside a change set the new rows are journaled set-based after each
    statement (`store/journal.py`), not by the per-row trigger."""
    owner, joins = JOINS[entity]
    table = f"{owner}_field_value"
    journal = insert_journal_paused(connection, (table,))
    written = 0
    try:
        for start in range(0, len(field_ids), GROUP):
            values = " UNION ALL ".join(
                f"SELECT line, {int(field_id)} AS field_id, t{slot} AS t, n{slot} AS n "
                f"FROM {ROWS} WHERE grp = {start // GROUP} AND t{slot} IS NOT NULL"
                for slot, field_id in enumerate(field_ids[start : start + GROUP])
            )
            for join in joins:
                with inserts_journaled(connection, journal, table):
                    result = connection.execute(
                        text(
                            f"INSERT INTO {table} ({owner}_id, field_id, text_value, "
                            f"number_value) SELECT o.id, v.field_id, v.t, v.n FROM ({values}) "
                            f"AS v JOIN {winners} AS s ON s.seq = v.line {join} "
                            "WHERE true ORDER BY o.id, v.field_id "
                            f"ON CONFLICT ({owner}_id, field_id) DO UPDATE SET "
                            "text_value = excluded.text_value, "
                            "number_value = excluded.number_value "
                            f"WHERE {table}.text_value <> excluded.text_value"
                        )
                    )
                written += max(result.rowcount, 0)
    finally:
        insert_journal_resumed(connection, (table,), journal)
    return written


def declared_types(store_path: Path | None) -> dict[str, str]:
    """The custom field types the workflow configuration declares, by field name:

        [fields]
        time_on_site = "number"
        lead_origin = "category"

    A declared type is given to a field when an import creates it (instead of the
    inferred one). Read from the file `abs_cli.pipeline.config` reads (`$ABS_CONFIG`,
    else `abs.toml` beside the store); a bad entry is an `InputError` naming it.
    """
    path = config_path(None, store_path)
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as error:
        raise InputError(f"config {path}: cannot be read ({error})") from None
    fields = data.get("fields", {})
    if not isinstance(fields, dict):
        raise InputError(f'config {path}: [fields] must be a table of NAME = "TYPE"')
    declared: dict[str, str] = {}
    for name, kind in fields.items():
        if kind not in CUSTOM_TYPES:
            raise InputError(
                f"config {path}: fields.{name} = {kind!r} is not one of {', '.join(CUSTOM_TYPES)}"
            )
        declared[field_name(str(name))] = str(kind)
    return declared
