"""The one streaming import engine: read, map, validate, de-duplicate, write in batches.

Every importer (team, leads, accounts, activities, …) is an `Importer`: its columns, a
pydantic row model, its natural key, and a `write` function that upserts one batch
set-based. The engine does the rest the same way for all of them: rejects file,
duplicates within the file, `--strict`, `--dry-run`, progress and the summary.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError
from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from abs_cli.errors import InputError, StoreError, UsageError
from abs_cli.imports.fastpath import row_validator
from abs_cli.imports.headers import (
    ColumnSpec,
    HeaderPlan,
    parse_maps,
    parse_value_maps,
    plan_header,
    value_translations,
)
from abs_cli.imports.reader import SourceInfo, open_csv, read_failure
from abs_cli.imports.resolve import ACCOUNTS_CREATED
from abs_cli.store.engine import WRITE_OPTION, Store
from abs_cli.store.journal import journaling
from abs_cli.store.sql import is_sqlite, tune_for_bulk_load
from abs_cli.values import now

if TYPE_CHECKING:
    from abs_cli.imports.custom import CustomColumns

DEFAULT_BATCH = 5000
BULK_CHUNK = 5000
BULK_BATCH = 50_000
"""A bulk writer's rows per transaction: each commit writes the index pages the
transaction dirtied, and random-order keys dirty most of them, so fewer, larger
transactions write far less."""
"""Rows a bulk writer stages and applies at a time (memory stays flat)."""
SQLITE_CACHE_KB = 8 * 1024
SQLITE_CHECKPOINT_PAGES = 10_000
FORMULA_STARTS = frozenset("=+-@")
"""`abs leads export` writes `'=x` for `=x` (spreadsheet formula injection); import undoes it."""


@dataclass
class Row:
    """A validated row on its way to the store, with where it came from."""

    line: int
    cells: list[str]
    values: dict[str, Any]


@dataclass
class BatchResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[tuple[Row, str]] = field(default_factory=list)


@dataclass
class BatchRows:
    """What a bulk writer did with one chunk; rejects carry `(line, cells, reason)`."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    seen_before: int = 0
    rejects: list[tuple[int, list[str], str]] = field(default_factory=list)


class BulkWriter(Protocol):
    """A set-based writer for SQLite: rows converted to tuples, chunks applied in SQL."""

    def convert(self, cells: list[str]) -> list[Any]: ...

    def key(self, values: list[Any]) -> Hashable: ...

    def merge(self, earlier: list[Any], later: list[Any]) -> list[Any]: ...

    def write(self, chunk: dict[Hashable, tuple[int, list[str], list[Any]]]) -> BatchRows: ...

    def finish(self) -> None: ...

    def defer_indexes(self) -> None: ...

    def restore_indexes(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class WriteContext:
    """What a batch writer may use: the connection, the time of the run, caches."""

    conn: Connection
    started: datetime
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Importer:
    """One kind of file: columns, row model, natural key, batch writer."""

    name: str
    spec: ColumnSpec
    model: type[BaseModel]
    key: Callable[[dict[str, Any]], Hashable]
    write: Callable[[WriteContext, list[Row]], BatchResult]
    money: bool = False
    custom: str | None = None
    """`lead` or `account`: unmapped columns become custom fields of these
    (`imports/custom.py`); None: they are reported as ignored."""
    bulk: Callable[..., BulkWriter] | None = None
    """SQLite only: `bulk(context, positions, value_maps, options)` replaces `write`."""


@dataclass
class ImportOptions:
    encoding: str | None = None
    delimiter: str | None = None
    preset: str | None = None
    maps: Sequence[str] = ()
    values: Sequence[str] = ()
    dayfirst: bool = False
    monthfirst: bool = False
    decimal_comma: bool = False
    strict: bool = False
    dry_run: bool = False
    rejects: str | None = None
    batch_size: int | None = None
    """Rows per transaction; None: `DEFAULT_BATCH`, or `BULK_BATCH` for a bulk writer."""
    actor: str | None = None
    """Who imports, for the import log; None: `$ABS_REP`, else the OS user."""
    custom_types: Mapping[str, str] = field(default_factory=dict)
    """Declared types of custom fields (`[fields]` of the configuration), by name."""


@dataclass
class ImportSummary:
    """What an import did; the keys of its JSON form are stable."""

    kind: str
    source: SourceInfo
    preset: str | None
    unknown_columns: list[str]
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates_in_file: int = 0
    rejected: int = 0
    accounts_created: int | None = None
    """Accounts an import created for the domains its rows name (None: not counted, the
    SQLite leads writer creates them in SQL)."""
    seconds: float = 0.0
    dry_run: bool = False
    rejects_path: str | None = None
    first_rejects: list[str] = field(default_factory=list)
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    custom_values: int = 0
    change_id: int | None = None
    """The import's change set (`abs imports list`); None for a dry run."""

    def document(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.source.name,
            "encoding": self.source.encoding,
            "delimiter": self.source.delimiter,
            "preset": self.preset,
            "unknown_columns": self.unknown_columns,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates_in_file": self.duplicates_in_file,
            "rejected": self.rejected,
            "accounts_created": self.accounts_created,
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
            "rejects_file": self.rejects_path,
            "custom_fields": self.custom_fields,
            "custom_values": self.custom_values,
            "import_id": self.change_id,
        }


Hook = Callable[[int], None]


def default_rejects_path(source: str) -> Path:
    """`leads.csv` → `leads.rejects.csv` beside it; stdin → `./stdin.rejects.csv`.

    A file read from a folder the user cannot write to (a read-only export share, a
    system directory) gets its rejects file in the current directory instead.
    """
    if source == "-":
        return Path("stdin.rejects.csv")
    path = Path(source)
    name = path.name
    for suffix in (".csv.gz", ".tsv.gz", ".gz", ".csv", ".tsv", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    beside = path.with_name(name + ".rejects.csv")
    return beside if os.access(beside.parent, os.W_OK) else Path(beside.name)


def check_rejects_path(path: Path) -> None:
    """Refuse, before anything is written, a rejects file that could not be created."""
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(
            f"--rejects {str(path)!r}: the folder {str(folder)!r} does not exist; nothing was "
            "imported",
            hint="create it, or give another path",
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(
            f"the rejects file {str(path)!r} cannot be written; nothing was imported",
            hint="give a writable path with --rejects",
        )


class _Rejects:
    """The rejects CSV, opened on the first rejected row only."""

    def __init__(self, path: Path | None, header: list[str]) -> None:
        self.path = path
        self.header = header
        self.handle: IO[str] | None = None
        self.writer: Any = None
        self.count = 0
        self.first: list[str] = []
        self.listeners: list[Callable[[int], None]] = []
        """Called with the line of every rejected row."""

    def add(self, line: int, cells: list[str], reason: str) -> None:
        self.count += 1
        for listener in self.listeners:
            listener(line)
        if len(self.first) < 5:
            self.first.append(f"line {line}: {reason}")
        if self.path is None:
            return
        if self.writer is None:
            try:
                self.handle = self.path.open("w", newline="", encoding="utf-8")
            except OSError as error:
                raise InputError(
                    f"line {line} is rejected ({reason}) but the rejects file {self.path} "
                    f"cannot be written: {read_failure(error)}; batches already committed "
                    "are kept",
                    hint="choose where rejected rows go with --rejects PATH",
                ) from None
            self.writer = csv.writer(self.handle)
            self.writer.writerow(["line", "reason", *self.header])
        self.writer.writerow([line, reason, *cells])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    field_name = ".".join(str(part) for part in first.get("loc", ()))
    if first.get("type") == "missing":
        return f"{field_name} is empty (required)"
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if field_name and field_name not in message:
        value = first.get("input")
        return f"{field_name} {value!r}: {message}"
    return message


class _SeenKeys:
    """Natural keys already met in this file, in a temporary table (memory stays flat)."""

    def __init__(self, conn: Connection) -> None:
        self.table = Table(
            "abs_import_seen",
            MetaData(),
            Column("k", String, primary_key=True),
            prefixes=["TEMPORARY"],
        )
        self.conn = conn
        with conn.begin():
            self.table.drop(conn, checkfirst=True)
            self.table.create(conn)

    def count_seen(self, keys: list[str]) -> int:
        """How many of `keys` were met in earlier batches; then remember them all."""
        from abs_cli.imports.fastpath import execute_many, select_in

        before = len(select_in(self.conn, "SELECT k FROM abs_import_seen WHERE k IN", keys))
        execute_many(self.conn, self.table, ["k"], [{"k": k} for k in keys], conflict=["k"])
        return before

    def drop(self) -> None:
        with self.conn.begin():
            self.table.drop(self.conn, checkfirst=True)


def _check_currency(values: dict[str, Any], currency: str) -> str | None:
    given = values.pop("currency", None)
    if given is not None and str(given).strip().upper() != currency:
        return f"currency {given!r} differs from the store's currency {currency}"
    return None


def run_import(
    store: Store,
    importer: Importer,
    path: str,
    options: ImportOptions,
    *,
    progress: Hook | None = None,
    before_commit: Hook | None = None,
) -> ImportSummary:
    """Import one file; see the module docstring.

    Args:
        progress: called with the number of rows read after each batch.
        before_commit: called with the batch number before each batch commits (tests use
            it to interrupt an import half-way).

    Raises:
        InputError: unreadable file, missing required column, or (with --strict) a bad row.
    """
    started_clock = time.perf_counter()
    source = open_csv(path, encoding=options.encoding, delimiter=options.delimiter)
    try:
        plan = plan_header(
            source.header,
            importer.spec,
            maps=parse_maps(options.maps),
            preset=options.preset,
            custom=importer.custom is not None,
        )
        value_maps = value_translations(
            plan.preset, parse_value_maps(options.values), importer.spec.columns
        )
        summary = ImportSummary(
            importer.name,
            source.info,
            plan.preset,
            plan.unknown,
            dry_run=options.dry_run,
        )
        rejects_path = None
        if not options.dry_run and not options.strict:
            rejects_path = Path(options.rejects) if options.rejects else default_rejects_path(path)
            check_rejects_path(rejects_path)
        rejects = _Rejects(rejects_path, source.header)
        custom = _custom_columns(importer, plan, options, rejects)
        if custom is not None:
            summary.unknown_columns = []  # not ignored: they become custom fields
        change_id: int | None = None
        finished = False
        try:
            if not options.dry_run:
                change_id = _open_change(store, importer, path, options)
            _run(
                store,
                importer,
                source.rows,
                plan.positions,
                value_maps,
                options,
                summary,
                rejects,
                progress,
                before_commit,
                change_id,
                custom,
            )
            finished = True
        except OperationalError as error:
            if "locked" in str(error.orig) or "busy" in str(error.orig):
                raise StoreError(
                    f"the store {store.location.display} stayed locked by another process; "
                    "batches already committed are kept",
                    hint="re-run the same import when the other abs command has finished",
                ) from error
            raise
        finally:
            rejects.close()
            if change_id is not None:
                _close_change(store, change_id, summary, rejects.count, finished)
        summary.change_id = change_id
        if custom is not None:
            summary.custom_fields = [f.document() for f in custom.fields.values()]
            summary.custom_values = custom.written
        summary.rejected = rejects.count
        summary.first_rejects = rejects.first
        summary.rejects_path = str(rejects_path) if rejects.count and rejects_path else None
        summary.seconds = time.perf_counter() - started_clock
        return summary
    finally:
        source.close()


def _custom_columns(
    importer: Importer, plan: HeaderPlan, options: ImportOptions, rejects: _Rejects
) -> CustomColumns | None:
    """The file's unmapped columns as custom fields, for an importer that takes them."""
    if importer.custom is None or not plan.extra:
        return None
    from abs_cli.imports.custom import CustomColumns, Parsing

    def reject(line: int, cells: list[str], reason: str) -> None:
        if options.strict:
            raise InputError(f"line {line}: {reason}; nothing was imported (--strict)")
        rejects.add(line, cells, reason)

    keys = ("email", "external_id") if importer.custom == "lead" else ("domain", "")
    return CustomColumns(
        entity=importer.custom,
        columns=plan.extra,
        renamed=plan.renamed,
        key_positions=(plan.positions.get(keys[0]), plan.positions.get(keys[1])),
        declared=dict(options.custom_types),
        options=Parsing(options.dayfirst, options.monthfirst, options.decimal_comma),
        reject=reject,
    )


def _open_change(store: Store, importer: Importer, path: str, options: ImportOptions) -> int:
    """Log the import before its first write (`abs imports list`, `abs imports revert`)."""
    from abs_cli.imports.log import open_change

    return open_change(store.engine, "import", importer.name, path, options.actor)


def _close_change(
    store: Store, change_id: int, summary: ImportSummary, rejected: int, finished: bool
) -> None:
    from abs_cli.imports.log import Counts, close_change

    counts = Counts(summary.read, summary.inserted, summary.updated, summary.unchanged, rejected)
    close_change(store.engine, change_id, counts, failed=not finished)


def _run(
    store: Store,
    importer: Importer,
    rows: Any,
    positions: dict[str, int],
    value_maps: dict[str, dict[str, str]],
    options: ImportOptions,
    summary: ImportSummary,
    rejects: _Rejects,
    progress: Hook | None,
    before_commit: Hook | None,
    change_id: int | None = None,
    custom: CustomColumns | None = None,
) -> None:
    from sqlalchemy.orm import Session

    from abs_cli.store.settings import get_setting

    if options.dayfirst and options.monthfirst:
        raise UsageError("--dayfirst and --monthfirst exclude each other")
    context_options = {
        "dayfirst": options.dayfirst,
        "monthfirst": options.monthfirst,
        "decimal_comma": options.decimal_comma,
    }
    items = list(positions.items())
    batch_size = options.batch_size or DEFAULT_BATCH
    model = importer.model
    fast = row_validator(model, context_options)
    with store.engine.connect() as raw_conn, journaling(raw_conn, change_id):
        conn = raw_conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            tune_for_bulk_load(conn, SQLITE_CACHE_KB, SQLITE_CHECKPOINT_PAGES)
            currency = get_setting(Session(bind=conn), "currency") or "EUR"
        context = WriteContext(conn, now())
        if custom is not None:
            rows = custom.attach(conn, rows, dry_run=options.dry_run)
            rejects.listeners.append(custom.rejected)
            importer = custom.writing_after(importer)
        if importer.bulk is not None and is_sqlite(conn):
            writer = importer.bulk(context, positions, value_maps, context_options)
            try:
                _run_bulk(writer, conn, rows, options, summary, rejects, progress, before_commit)
            finally:
                writer.close()
            return
        seen = _SeenKeys(conn)
        outer = conn.begin() if options.strict or options.dry_run else None
        summary.accounts_created = 0
        try:
            batch: dict[Hashable, Row] = {}
            number = 0
            for line, cells in rows:
                summary.read += 1
                values: dict[str, Any] = {}
                width = len(cells)
                for column, index in items:
                    if index < width:
                        cell = cells[index].strip()
                        if cell:
                            if cell[0] == "'" and cell[1:2] in FORMULA_STARTS:
                                cell = cell[1:]  # undo the export's formula escaping
                            table = value_maps.get(column)
                            if table is not None:
                                cell = table.get(cell.lower(), cell)
                            values[column] = cell
                reason = _check_currency(values, currency) if importer.money else None
                if reason is None:
                    try:
                        if fast is not None:
                            row = Row(line, cells, fast(values))
                        else:
                            validated = model.model_validate(values, context=context_options)
                            row = Row(line, cells, validated.model_dump(exclude_unset=True))
                        key = importer.key(row.values)
                    except ValidationError as error:
                        reason = _reason(error)
                    except ValueError as error:
                        reason = str(error)
                if reason is not None:
                    if options.strict:
                        raise InputError(f"line {line}: {reason}; nothing was imported (--strict)")
                    rejects.add(line, cells, reason)
                    continue
                earlier = batch.pop(key, None)
                if earlier is not None:
                    summary.duplicates_in_file += 1
                    row.values = {**earlier.values, **row.values}
                batch[key] = row
                if len(batch) >= batch_size:
                    number += 1
                    _write(
                        importer,
                        context,
                        seen,
                        batch,
                        summary,
                        rejects,
                        options,
                        before_commit,
                        number,
                    )
                    batch = {}
                    if progress is not None:
                        progress(summary.read)
            if batch:
                number += 1
                _write(
                    importer, context, seen, batch, summary, rejects, options, before_commit, number
                )
            if progress is not None:
                progress(summary.read)
            if outer is not None:
                if options.dry_run:
                    outer.rollback()
                else:
                    outer.commit()
        finally:
            summary.accounts_created = context.cache.get(ACCOUNTS_CREATED, 0)
            if outer is not None and outer.is_active:
                outer.rollback()
            seen.drop()


def _run_bulk(
    writer: BulkWriter,
    conn: Connection,
    rows: Any,
    options: ImportOptions,
    summary: ImportSummary,
    rejects: _Rejects,
    progress: Hook | None,
    before_commit: Hook | None,
) -> None:
    """The engine's loop for a bulk writer: same counts, rejects and transactions.

    Chunks of at most `BULK_CHUNK` distinct keys are applied; a transaction covers
    `batch_size` rows (several chunks), or the whole file with --strict / --dry-run.
    """
    convert, key_of, merge = writer.convert, writer.key, writer.merge
    batch_size = options.batch_size or BULK_BATCH
    chunk_size = min(batch_size, BULK_CHUNK)
    strict = options.strict
    outer = conn.begin() if strict or options.dry_run else None
    state: dict[str, Any] = {"transaction": None, "pending": 0, "number": 0}

    def flush(chunk: dict[Hashable, tuple[int, list[str], list[Any]]], last: bool) -> None:
        if chunk:
            if outer is None and state["transaction"] is None:
                state["transaction"] = conn.begin()
            result = writer.write(chunk)
            for line, cells, reason in result.rejects:
                if strict:
                    raise InputError(f"line {line}: {reason}; nothing was imported (--strict)")
                rejects.add(line, cells, reason)
            summary.duplicates_in_file += result.seen_before
            summary.inserted += result.inserted
            summary.updated += result.updated
            summary.unchanged += result.unchanged
            state["pending"] += len(chunk)
        if state["pending"] and (last or state["pending"] >= batch_size):
            writer.finish()
            state["number"] += 1
            if before_commit is not None:
                before_commit(state["number"])
            if state["transaction"] is not None:
                state["transaction"].commit()
                state["transaction"] = None
            state["pending"] = 0
        if progress is not None:
            progress(summary.read)

    try:
        if outer is not None:
            writer.defer_indexes()  # one transaction covers the load: safe to build them after
        chunk: dict[Hashable, tuple[int, list[str], list[Any]]] = {}
        for line, cells in rows:
            summary.read += 1
            try:
                values = convert(cells)
                key = key_of(values)
            except ValueError as error:
                if strict:
                    raise InputError(
                        f"line {line}: {error}; nothing was imported (--strict)"
                    ) from None
                rejects.add(line, cells, str(error))
                continue
            earlier = chunk.pop(key, None)
            if earlier is not None:
                summary.duplicates_in_file += 1
                values = merge(earlier[2], values)
            chunk[key] = (line, cells, values)
            if len(chunk) >= chunk_size:
                flush(chunk, last=False)
                chunk = {}
        flush(chunk, last=True)
        if outer is not None:
            if options.dry_run:
                outer.rollback()
            else:
                writer.restore_indexes()
                outer.commit()
    finally:
        if state["transaction"] is not None and state["transaction"].is_active:
            state["transaction"].rollback()
        if outer is not None and outer.is_active:
            outer.rollback()


def _write(
    importer: Importer,
    context: WriteContext,
    seen: _SeenKeys,
    batch: dict[Hashable, Row],
    summary: ImportSummary,
    rejects: _Rejects,
    options: ImportOptions,
    before_commit: Hook | None,
    number: int,
) -> None:
    """Write one batch in its own transaction (or the file's, with --strict/--dry-run)."""
    conn = context.conn
    transaction = None if conn.in_transaction() else conn.begin()
    try:
        summary.duplicates_in_file += seen.count_seen(
            ["\x1f".join(map(str, _as_tuple(k))) for k in batch]
        )
        result = importer.write(context, list(batch.values()))
        for row, reason in result.rejects:
            if options.strict:
                raise InputError(f"line {row.line}: {reason}; nothing was imported (--strict)")
            rejects.add(row.line, row.cells, reason)
        if before_commit is not None:
            before_commit(number)
        if transaction is not None:
            transaction.commit()
    except BaseException:
        if transaction is not None:
            transaction.rollback()
        raise
    summary.inserted += result.inserted
    summary.updated += result.updated
    summary.unchanged += result.unchanged


def _as_tuple(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)
