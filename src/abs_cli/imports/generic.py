"""The staged writer of every importer without a set-based writer of its own.

Each row is validated into a `Row` (the importer's pydantic model, or the same
validators called directly, `fastpath.row_validator`) and staged whole, pickled, in a
TEMP table beside its line and its natural key; the engine then keeps each key's last
row (`drop_earlier_duplicates`) and hands the winners, in file order, a batch at a time
to the importer's set-based `write`. The table lives in the import's own session and is
dropped at the end: nothing else ever reads it.
"""

from __future__ import annotations

import pickle
from collections.abc import Hashable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, Text

from abs_cli.imports.engine import (
    DEFAULT_BATCH,
    FORMULA_STARTS,
    BatchRows,
    Importer,
    Row,
    WriteContext,
)
from abs_cli.imports.fastpath import row_validator
from abs_cli.store.sql import earlier_duplicates_dropped, placeholder

STAGING = "abs_import_rows"
KEY_SEPARATOR = "\x1f"


def validation_reason(error: ValidationError) -> str:
    """The reject reason of a row the pydantic model refused: its first error."""
    first = error.errors()[0]
    field_name = ".".join(str(part) for part in first.get("loc", ()))
    if first.get("type") == "missing":
        return f"{field_name} is empty (required)"
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if field_name and field_name not in message:
        value = first.get("input")
        return f"{field_name} {value!r}: {message}"
    return message


def key_text(key: Hashable) -> str:
    """A natural key as one text, comparable in SQL (tuple parts joined)."""
    parts = key if isinstance(key, tuple) else (key,)
    return KEY_SEPARATOR.join(map(str, parts))


class GenericWriter:
    """Stages validated rows whole; applies them through `importer.write`."""

    chunk = DEFAULT_BATCH
    batch = DEFAULT_BATCH
    staged_table = STAGING

    def __init__(
        self,
        importer: Importer,
        context: WriteContext,
        positions: dict[str, int],
        value_maps: dict[str, dict[str, str]],
        options: dict[str, Any],
        currency: str,
    ) -> None:
        if importer.write is None:
            raise ValueError(f"the {importer.name} importer has neither write nor bulk")
        self.importer = importer
        self.write = importer.write
        self.context = context
        self.conn = context.conn
        self.items = list(positions.items())
        self.value_maps = value_maps
        self.options = options
        self.currency = currency
        self.fast = row_validator(importer.model, options)
        self.after = 0
        self.table = Table(
            STAGING,
            MetaData(),
            Column("seq", Integer, primary_key=True, autoincrement=False),
            *self.key_columns(),
            *self.staged_columns(),
            prefixes=["TEMPORARY"],
        )
        marker = placeholder(self.conn)
        self.insert = f"INSERT INTO {STAGING} (seq, k, payload) VALUES ({', '.join([marker] * 3)})"
        with self.conn.begin():
            self.table.drop(self.conn, checkfirst=True)
            self.table.create(self.conn)

    dedupe_by: tuple[str, ...] = ("k",)
    """The staged columns that hold a row's natural key (`drop_earlier_duplicates`)."""

    def key_columns(self) -> list[Column[Any]]:
        """The staging table's columns after `seq`: here `k`, the natural key as one text
        (`key_text`)."""
        return [Column("k", Text, nullable=False)]

    def natural_key(self, values: dict[str, Any]) -> Hashable:
        """A validated row's natural key, for `k` (`key_columns`)."""
        return self.importer.key(values)

    def staged_columns(self) -> list[Column[Any]]:
        """The staging table's columns after the key: here the pickled `Row`."""
        return [Column("payload", LargeBinary, nullable=False)]

    def convert(self, cells: list[str]) -> tuple[Hashable, dict[str, Any]]:
        """The row's natural key and validated values; ValueError names what is wrong."""
        values: dict[str, Any] = {}
        width = len(cells)
        for column, index in self.items:
            if index < width:
                cell = cells[index].strip()
                if cell:
                    if cell[0] == "'" and cell[1:2] in FORMULA_STARTS:
                        cell = cell[1:]  # undo the export's formula escaping
                    table = self.value_maps.get(column)
                    if table is not None:
                        cell = table.get(cell.lower(), cell)
                    values[column] = cell
        if self.importer.money:
            given = values.pop("currency", None)
            if given is not None and str(given).strip().upper() != self.currency:
                raise ValueError(
                    f"currency {given!r} differs from the store's currency {self.currency}"
                )
        try:
            if self.fast is not None:
                validated = self.fast(values)
            else:
                model = self.importer.model.model_validate(values, context=self.options)
                validated = model.model_dump(exclude_unset=True)
            return self.natural_key(validated), validated
        except ValidationError as error:
            raise ValueError(validation_reason(error)) from None

    def stage(self, rows: list[tuple[int, list[str], Any]]) -> None:
        if rows:
            self.conn.exec_driver_sql(
                self.insert,
                [
                    (line, key_text(key), pickle.dumps(Row(line, cells, values)))
                    for line, cells, (key, values) in rows
                ],
            )

    def drop_earlier_duplicates(self) -> int:
        return self.conn.exec_driver_sql(
            earlier_duplicates_dropped(self.conn, STAGING, self.dedupe_by)
        ).rowcount

    def write_next(self, limit: int) -> BatchRows | None:
        marker = placeholder(self.conn)
        payloads = self.conn.exec_driver_sql(
            f"SELECT seq, payload FROM {STAGING} WHERE seq > {marker} ORDER BY seq LIMIT {marker}",
            (self.after, limit),
        ).all()
        if not payloads:
            return None
        self.after = payloads[-1][0]
        rows: list[Row] = [pickle.loads(payload) for _seq, payload in payloads]
        written = self.write(self.context, rows)
        return BatchRows(
            written.inserted,
            written.updated,
            written.unchanged,
            sorted((row.line, row.cells, reason) for row, reason in written.rejects),
        )

    def finish(self) -> None:
        """Each batch is complete when `write` returns."""

    def defer_indexes(self) -> None:
        """The generic writers keep every index live."""

    def restore_indexes(self) -> None:
        """Nothing was deferred."""

    def close(self) -> None:
        with self.conn.begin():
            self.table.drop(self.conn, checkfirst=True)
