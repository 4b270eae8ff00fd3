"""The one streaming import engine: read, map, validate, stage, then write in batches.

Every importer (team, leads, accounts, activities, …) is an `Importer`: its columns, a
pydantic row model, its natural key, and a `write` function that upserts one batch
set-based. The engine does the rest the same way for all of them: rejects file,
duplicates within the file, `--strict`, `--dry-run`, progress and the summary.

An import runs in two phases, so that within a file the last valid row of a key wins as
if the earlier ones were not there, whatever the file's size and wherever the repeats
stand (docs/domain.md §3.4):

1. *stage*: the file is read once, each row validated (a bad row goes to the rejects
   file) and the valid ones appended to a TEMP table of the store's own session, with
   their line and key; memory stays flat, whatever the size;
2. *apply*: one statement drops every staged row whose key comes again later in the
   file, then the surviving rows are written in file order, `batch_size` rows per
   transaction. A re-import of an unchanged file therefore compares each key once, with
   its final values, and writes nothing.

How a kind of row is staged and applied is a `StagedWriter`: the set-based lead writer
(`imports/bulk.py`) stages typed columns the SQL reads directly; every other importer
goes through `imports/generic.py`, which stages the validated row whole and hands
batches of winners to the importer's `write`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from abs_cli.errors import InputError, StoreError, UsageError
from abs_cli.imports.headers import (
    ColumnSpec,
    HeaderPlan,
    parse_maps,
    parse_value_maps,
    plan_header,
    value_translations,
)
from abs_cli.imports.reader import CsvSource, SourceInfo, open_csv
from abs_cli.imports.rejects import (
    RejectsFile,
    SourceAgain,
    check_rejects_path,
    default_rejects_path,
)
from abs_cli.imports.resolve import ACCOUNTS_CREATED
from abs_cli.store.engine import WRITE_OPTION, Store
from abs_cli.store.journal import journaling
from abs_cli.store.sql import tune_for_bulk_load
from abs_cli.values import now

if TYPE_CHECKING:
    from abs_cli.imports.custom import CustomColumns

DEFAULT_BATCH = 5000
"""Rows per transaction of the generic writer (`imports/generic.py`)."""
BULK_BATCH = 50_000
"""A bulk writer's rows per transaction: each commit writes the index pages the
transaction dirtied, and random-order keys dirty most of them, so fewer, larger
transactions write far less."""
STAGE_CHUNK = 1000
"""Rows read and validated before they are appended to the staging table at once (the
rows held in memory: their cells and values)."""
STAGE_BATCH = 50_000
"""Rows staged per transaction (staging writes TEMP tables only: a commit costs little,
but each transaction takes the store's write lock)."""
SQLITE_CACHE_KB = 8 * 1024
SQLITE_CHECKPOINT_PAGES = 50_000
"""WAL pages (4 KB) between checkpoints during an import: a page that several batches
dirty is copied into the database once per checkpoint (the WAL grows to ~200 MB)."""
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


Reject = tuple[int, list[str] | None, str]
"""A rejected row: its line, its cells as read (None: to be read again, see
`WriteContext.rereads_cells`), and the reason."""


@dataclass
class BatchRows:
    """What a staged writer did with one chunk of winning rows."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)


class StagedWriter(Protocol):
    """How one importer's rows are staged for the whole file, then applied in chunks.

    `convert` validates a row's cells (ValueError: the reject reason); `stage` appends
    validated rows, in file order, to the writer's TEMP table; `drop_earlier_duplicates`
    keeps each key's last staged row only and says how many it dropped; `write_next`
    applies the next `limit` staged rows (None when none is left). `finish` runs before
    each commit; `defer_indexes` and `restore_indexes` frame a load that one transaction
    covers; `close` drops the TEMP tables.
    """

    chunk: int
    """Rows applied per `write_next`."""
    batch: int
    """Rows per transaction unless `--batch-size` says otherwise."""
    staged_table: str
    """The TEMP table of the staged rows: `seq` (their line) and their key among its
    columns (`k`, one text, but for the typed record writers); once
    `drop_earlier_duplicates` has run, each key's winning row only."""

    def convert(self, cells: list[str]) -> Any: ...

    def stage(self, rows: list[tuple[int, list[str], Any]]) -> None: ...

    def drop_earlier_duplicates(self) -> int: ...

    def write_next(self, limit: int) -> BatchRows | None: ...

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
    rereads_cells: bool = False
    """Whether a row a writer refuses once staged may come without its cells (None): the
    rejects file copies them from the source, read again (`imports/rejects.py`)."""


@dataclass(frozen=True)
class Importer:
    """One kind of file: columns, row model, natural key, and how its rows are written.

    `write(context, rows)` upserts one batch of validated rows (the generic staged
    writer, `imports/generic.py`, calls it); `bulk(context, positions, value_maps,
    options)` builds a set-based `StagedWriter` of its own instead.
    """

    name: str
    spec: ColumnSpec
    model: type[BaseModel]
    key: Callable[[dict[str, Any]], Hashable]
    write: Callable[[WriteContext, list[Row]], BatchResult] | None = None
    money: bool = False
    custom: str | None = None
    """`lead` or `account`: unmapped columns become custom fields of these
    (`imports/custom.py`); None: they are reported as ignored."""
    bulk: Callable[..., StagedWriter] | None = None


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
    """Rows per transaction; None: the writer's own (`DEFAULT_BATCH`, `BULK_BATCH`)."""
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


@dataclass(frozen=True)
class Progress:
    """Where an import stands, for a progress bar.

    While `reading`, `done` is the bytes of the stored file read so far and `total` its
    size (None for stdin); while `writing`, both count the rows of the file's winners.
    `rows` is the rows read, then written.
    """

    phase: str
    rows: int
    done: int
    total: int | None


ProgressHook = Callable[[Progress], None]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the rows stream through, back on after.

    Rows, cells and values hold no reference cycles, so a collection finds nothing in
    them, yet each full one walks every live object, SQLAlchemy's included: 0.21 s of a
    200,000-row HubSpot import (616 collections, 4 of them full), for the same peak RSS.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_import(
    store: Store,
    importer: Importer,
    path: str,
    options: ImportOptions,
    *,
    progress: ProgressHook | None = None,
    before_commit: Hook | None = None,
) -> ImportSummary:
    """Import one file; see the module docstring.

    Args:
        progress: called with a `Progress` after each chunk read, then each written.
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
        again = (
            None if path == "-" else SourceAgain(path, source.info.encoding, source.info.delimiter)
        )
        rejects = RejectsFile(rejects_path, source.header, again)
        custom = _custom_columns(importer, plan, options, rejects)
        if custom is not None:
            summary.unknown_columns = []  # not ignored: they become custom fields
        change_id: int | None = None
        finished = False
        try:
            if not options.dry_run:
                change_id = _open_change(store, importer, path, options)
            with _collector_paused():
                _run(
                    store,
                    importer,
                    source,
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
    importer: Importer, plan: HeaderPlan, options: ImportOptions, rejects: RejectsFile
) -> CustomColumns | None:
    """The file's unmapped columns as custom fields, for an importer that takes them."""
    if importer.custom is None or not plan.extra:
        return None
    from abs_cli.imports.custom import CustomColumns, Parsing

    def reject(line: int, cells: list[str], reason: str) -> None:
        if options.strict:
            raise InputError(f"line {line}: {reason}; nothing was imported (--strict)")
        rejects.add(line, cells, reason)

    return CustomColumns(
        entity=importer.custom,
        columns=plan.extra,
        renamed=plan.renamed,
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
    source: CsvSource,
    positions: dict[str, int],
    value_maps: dict[str, dict[str, str]],
    options: ImportOptions,
    summary: ImportSummary,
    rejects: RejectsFile,
    progress: ProgressHook | None,
    before_commit: Hook | None,
    change_id: int | None = None,
    custom: CustomColumns | None = None,
) -> None:
    from sqlalchemy.orm import Session

    from abs_cli.imports.generic import GenericWriter
    from abs_cli.store.settings import get_setting

    if options.dayfirst and options.monthfirst:
        raise UsageError("--dayfirst and --monthfirst exclude each other")
    context_options = {
        "dayfirst": options.dayfirst,
        "monthfirst": options.monthfirst,
        "decimal_comma": options.decimal_comma,
    }
    with store.engine.connect() as raw_conn, journaling(raw_conn, change_id):
        conn = raw_conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            tune_for_bulk_load(conn, SQLITE_CACHE_KB, SQLITE_CHECKPOINT_PAGES)
            currency = get_setting(Session(bind=conn), "currency") or "EUR"
        context = WriteContext(conn, now(), rereads_cells=rejects.rereads_cells)
        if custom is not None:
            source.rows = custom.attach(conn, source.rows, dry_run=options.dry_run)
            rejects.listeners.append(custom.rejected)
        writer: StagedWriter
        if importer.bulk is not None:
            writer = importer.bulk(context, positions, value_maps, context_options)
        else:
            writer = GenericWriter(
                importer, context, positions, value_maps, context_options, currency
            )
        after_all: Callable[[], None] | None = None
        on_stage: Callable[[], None] | None = None
        if custom is not None:
            after_all, on_stage = partial(custom.flush, writer.staged_table), custom.spill
        try:
            _run_staged(
                writer,
                conn,
                source,
                options,
                summary,
                rejects,
                progress,
                before_commit,
                after_all,
                on_stage,
            )
        finally:
            summary.accounts_created = context.cache.get(ACCOUNTS_CREATED, 0)
            writer.close()
            if custom is not None:
                custom.close()


def _run_staged(
    writer: StagedWriter,
    conn: Connection,
    source: CsvSource,
    options: ImportOptions,
    summary: ImportSummary,
    rejects: RejectsFile,
    progress: ProgressHook | None,
    before_commit: Hook | None,
    after_all: Callable[[], None] | None = None,
    on_stage: Callable[[], None] | None = None,
) -> None:
    """The engine's loop: stage the whole file, drop earlier duplicates, apply in batches.

    `on_stage` runs in the transaction of each chunk staged (the custom values read with
    its rows); `after_all` runs once every row is applied, in the last transaction (the
    custom values of the rows written, which need their leads' ids).

    A transaction covers `batch_size` applied rows (several of the writer's chunks), or
    the whole import with --strict / --dry-run, which therefore reads and validates the
    whole file before it writes anything to the store.
    """
    strict = options.strict
    outer = conn.begin() if strict or options.dry_run else None

    def refuse(line: int, cells: list[str] | None, reason: str) -> None:
        if strict:
            raise InputError(f"line {line}: {reason}; nothing was imported (--strict)")
        rejects.add(line, cells, reason)

    counts = {"staged": 0, "written": 0}
    state: dict[str, Any] = {"transaction": None, "pending": 0, "number": 0}

    def stage(buffer: list[tuple[int, list[str], Any]]) -> None:
        if outer is None and state["transaction"] is None:
            state["transaction"] = conn.begin()
        writer.stage(buffer)
        if on_stage is not None:
            on_stage()
        counts["staged"] += len(buffer)
        state["pending"] += len(buffer)
        if outer is None and state["pending"] >= STAGE_BATCH:
            state["transaction"].commit()
            state["transaction"], state["pending"] = None, 0
        if progress is not None:
            progress(Progress("reading", summary.read, source.bytes_read(), source.size))

    try:
        convert = writer.convert
        buffer: list[tuple[int, list[str], Any]] = []
        for line, cells in source.rows:
            summary.read += 1
            try:
                buffer.append((line, cells, convert(cells)))
            except ValueError as error:
                refuse(line, cells, str(error))
                continue
            if len(buffer) >= STAGE_CHUNK:
                stage(buffer)
                buffer = []
        stage(buffer)
        rejects.next_run()
        if outer is None and state["transaction"] is None:
            state["transaction"] = conn.begin()
        summary.duplicates_in_file = writer.drop_earlier_duplicates()
        if state["transaction"] is not None:
            state["transaction"].commit()
            state["transaction"], state["pending"] = None, 0
        if outer is not None:
            writer.defer_indexes()  # one transaction covers the load: safe to build them after
        batch_size = options.batch_size or writer.batch
        chunk_size = min(batch_size, writer.chunk)
        while True:
            if outer is None and state["transaction"] is None:
                state["transaction"] = conn.begin()
            result = writer.write_next(chunk_size)
            if result is not None:
                for line, kept, reason in result.rejects:
                    refuse(line, kept, reason)
                summary.inserted += result.inserted
                summary.updated += result.updated
                summary.unchanged += result.unchanged
                applied = result.inserted + result.updated + result.unchanged + len(result.rejects)
                state["pending"] += applied
                counts["written"] += applied
                if progress is not None:
                    winners = counts["staged"] - summary.duplicates_in_file
                    progress(Progress("writing", counts["written"], counts["written"], winners))
            last = result is None
            if last and after_all is not None:
                after_all()
                state["pending"] = max(state["pending"], 1)
            if state["pending"] and (last or state["pending"] >= batch_size):
                writer.finish()
                state["number"] += 1
                if before_commit is not None:
                    before_commit(state["number"])
                if state["transaction"] is not None:
                    state["transaction"].commit()
                    state["transaction"] = None
                state["pending"] = 0
            if last:
                break
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
