"""Set-based staged writers of the two high-volume fact importers: activities and usage.

The generic writer (`imports/generic.py`) stages each validated row pickled and hands
batches of `Row`s to the importer's `write`, which diffs them against the store in Python
and upserts them with an `executemany`: ~10 µs of Python per row on each side of the
database. These writers validate rows the same way (`GenericWriter.convert`) but stage
typed columns, so that the apply step is a few statements per chunk, whatever its size:

1. (activities) each staged row's lead is looked up once (`UPDATE … SET lead_id`); rows
   naming no stored lead, no rep of the team or no playbook content are refused in line
   order with the generic writer's reasons (reps and content are read once per import,
   as the generic writer does, and checked while the row is read; the refusal waits
   until the row is applied, so that the last row of a key decides);
2. (usage) the accounts of unknown domains are created, in order of first use;
3. one `INSERT … SELECT … ON CONFLICT (natural key) DO NOTHING`, in key order, writes
   the new rows; its row count counts them; they are journaled by one statement after
   it (`store.journal.inserts_journaled_at_once`);
4. only when some key was stored already, a probe counts the stored rows that differ,
   and only when some do, `INSERT … ON CONFLICT … DO UPDATE … WHERE <a value differs>`
   writes them and leaves unchanged ones untouched (no journal row, no mark), an empty
   cell never blanking a stored value (`COALESCE`);
5. the rollup marks of the rows written (`abs_cli.store.marks`).

A file naming leads both by `lead_email` and by `external_id` may name one lead twice
under two keys; the generic writer's per-batch upsert merges such rows one after the
other, so that file keeps the generic writer.
"""

from __future__ import annotations

import marshal
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    LargeBinary,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)

from abs_cli.domain import INBOUND_SOURCES, TOUCH_TYPES
from abs_cli.imports.engine import BatchRows, Importer, StagedWriter, WriteContext
from abs_cli.imports.fastpath import MissingField, chained, field_parsers
from abs_cli.imports.fastpath import memoised as memoised_parser
from abs_cli.imports.generic import STAGING, GenericWriter
from abs_cli.imports.resolve import ACCOUNTS_CREATED, reps
from abs_cli.store import tables
from abs_cli.store.journal import inserts_journaled_at_once
from abs_cli.store.marks import mark
from abs_cli.store.sql import analyze, copy_rows, month_key, stored_timestamp, upsert
from abs_cli.store.types import UTCDateTime

RECORD_CHUNK = 200_000
"""Staged rows applied per round of statements, one round per transaction. The rows of a
round go into the target's indexes in key order: the more of them, the more of the new
keys fall into each leaf page (at 1,000,000 usage events the insert took 20.1 s in
chunks of 50,000, 14.9 s in chunks of 200,000, 15.4 s in one chunk; unsorted, 30.6 s)."""

activity = tables.activity
usage_event = tables.usage_event
lead = tables.lead
account = tables.account

LO, HI = bindparam("lo", type_=Integer), bindparam("hi", type_=Integer)


def _differs(new: ColumnElement[Any], stored: ColumnElement[Any]) -> ColumnElement[bool]:
    """The file gives a value (an empty cell gives none) and it is not the stored one."""
    return and_(new.is_not(None), new.is_distinct_from(stored))


def direct_validator(
    model: type[BaseModel],
    options: dict[str, Any],
    whole_row: Callable[[dict[str, Any]], None] | None = None,
    memoised: frozenset[str] = frozenset(),
    stored: Mapping[str, Callable[[Any], Any]] | None = None,
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """`model`'s validation without building a model per row, for a model whose one model
    validator (if any) is `whole_row`: each field's own parser, in field order, the first
    failure (or missing required field) being the reason, as `generic.validation_reason`
    words pydantic's first error; then `whole_row` on the parsed values. The fields in
    `memoised` repeat across rows: each distinct cell is parsed once. A field in `stored`
    is given in the form the driver takes, its parser's value passed through that
    function (memoised with it)."""
    parsers = field_parsers(model, options)
    then = stored or {}

    def parser(name: str) -> Callable[[str], Any]:
        parse = parsers[name][0]
        store = then.get(name)
        if store is not None:
            parse = chained(parse, store)
        return memoised_parser(parse) if name in memoised else parse

    plan = [(name, parser(name), field.is_required()) for name, field in model.model_fields.items()]

    def validate(values: dict[str, Any]) -> dict[str, Any]:
        parsed: dict[str, Any] = {}
        for name, parse, required in plan:
            if name in values:
                try:
                    parsed[name] = parse(values[name])
                except ValueError as error:
                    message = str(error)
                    if name in message:
                        raise
                    raise ValueError(f"{name} {values[name]!r}: {message}") from None
            elif required:
                raise MissingField(name)
        if whole_row is not None:
            whole_row(parsed)
        return parsed

    return validate


class _RecordWriter(GenericWriter, ABC):
    """What both writers share: typed staging, chunk bounds, the counting upsert."""

    chunk = RECORD_CHUNK
    batch = RECORD_CHUNK
    dedupe_by: tuple[str, ...]
    """The staged columns of the file's natural key (the importer's `key`, typed)."""
    target: Table
    key: tuple[str, ...]
    updated_columns: tuple[str, ...]
    part: str
    """The rollup part the rows feed (`abs_cli.store.marks`)."""

    def __init__(self, importer: Importer, context: WriteContext, *args: Any) -> None:
        super().__init__(importer, context, *args)
        stored_time = stored_timestamp(self.conn)
        self.stored_times = {name: stored_time for name in ("occurred_at", "due_at")}
        """Timestamps are validated straight into the form the driver takes."""
        self.columns = [column.name for column in self.table.c]
        self.analyzed = False

    def key_columns(self) -> list[Column[Any]]:
        """None: the typed columns `dedupe_by` hold the key, which needs no text of its
        own (building and staging it was a tenth of a usage import's time)."""
        return []

    def natural_key(self, values: dict[str, Any]) -> Hashable:
        """None: not built either (13 % of an activities file's staging, py-spy)."""
        return None

    @abstractmethod
    def typed(
        self, line: int, cells: list[str], key: Hashable, values: dict[str, Any]
    ) -> tuple[Any, ...]:
        """The staged tuple of one validated row (in `self.columns` order)."""

    def stage(self, rows: list[tuple[int, list[str], Any]]) -> None:
        if rows:
            staged = [self.typed(line, cells, key, values) for line, cells, (key, values) in rows]
            copy_rows(self.conn, STAGING, self.columns, staged)

    def next_bounds(self, limit: int) -> tuple[int, int] | None:
        """The seq range (exclusive, inclusive) of the next `limit` staged rows."""
        if not self.analyzed:
            analyze(self.conn, STAGING)  # once, after the earlier duplicates are gone
            self.analyzed = True
        table = self.table.c
        following = (
            select(table.seq)
            .where(table.seq > self.after)
            .order_by(table.seq)
            .limit(limit)
            .subquery()
        )
        upper = self.conn.execute(select(func.max(following.c.seq))).scalar()
        if upper is None:
            return None
        bounds = (self.after, int(upper))
        self.after = int(upper)
        return bounds

    def in_chunk(self) -> ColumnElement[bool]:
        return and_(self.table.c.seq > LO, self.table.c.seq <= HI)

    def matches(self) -> ColumnElement[bool]:
        """A staged row and the stored row of its natural key."""
        return and_(*(self.target.c[name] == self.source(name) for name in self.key))

    def source(self, name: str) -> ColumnElement[Any]:
        """The value of the target's column `name` for a staged row."""
        return self.table.c[name]

    def upsert_chunk(
        self, bounds: dict[str, int], valid: ColumnElement[bool], rows: int
    ) -> BatchRows:
        """Write the chunk's valid rows; count them as the generic writer does (new,
        changed, unchanged); mark the rollup months of those written.

        New rows first: one `INSERT … ON CONFLICT DO NOTHING`, in key order (the unique
        index, and any index that leads with the key, then take their new keys in order,
        not at random: a third of a usage import's time), whose row count is the new rows,
        and whose rows give their marks. A probe of every key before the write, to count
        the stored ones, was a tenth of the import. Only when some key was stored, a
        probe counts those whose values differ, and only when some do, they are marked
        and written (`… DO UPDATE … WHERE <a value differs>`), an empty cell never
        blanking a stored value (`COALESCE`)."""
        names = [*self.key, *self.updated_columns]
        chunk_rows = select(*(self.source(name) for name in names)).where(self.in_chunk(), valid)
        by_key = chunk_rows.order_by(*(self.source(name) for name in self.key))
        before = self.conn.execute(select(func.max(self.target.c.id))).scalar() or 0
        adding = (
            upsert(self.conn, self.target)
            .from_select(names, by_key)
            .on_conflict_do_nothing(index_elements=list(self.key))
        )
        with inserts_journaled_at_once(self.conn, self.target.name):
            inserted = max(
                self.conn.execute(
                    adding.execution_options(preserve_rowcount=True), bounds
                ).rowcount,
                0,
            )  # psycopg forgets an INSERT's rowcount once SQLAlchemy closes the cursor
        if inserted:
            self.mark_written(self.target, self.target.c.id > before, {})
        stored = rows - inserted
        if not stored:
            return BatchRows(inserted, 0, 0)
        differs = and_(
            self.in_chunk(),
            valid,
            exists().where(
                self.matches(),
                or_(
                    *(
                        _differs(self.source(name), self.target.c[name])
                        for name in self.updated_columns
                    )
                ),
            ),
        )
        updated = self.conn.execute(select(func.count()).where(differs), bounds).scalar_one()
        if updated:
            self.mark_written(self.table, differs, bounds)
            changing = upsert(self.conn, self.target)
            self.conn.execute(
                changing.from_select(names, by_key).on_conflict_do_update(
                    index_elements=list(self.key),
                    set_={
                        name: func.coalesce(changing.excluded[name], self.target.c[name])
                        for name in self.updated_columns
                    },
                    where=or_(
                        *(
                            _differs(changing.excluded[name], self.target.c[name])
                            for name in self.updated_columns
                        )
                    ),
                ),
                bounds,
            )
        return BatchRows(inserted, updated, stored - updated)

    def mark_written(
        self, written: Table, where: ColumnElement[bool], params: dict[str, int]
    ) -> None:
        """Mark the months of the rows of `written` (the target's new rows, or the staged
        rows of changed ones) that `where` selects."""
        months = select(month_key(written.c.occurred_at)).where(where)
        mark(self.conn, self.part, months.params(params))


class ActivityWriter(_RecordWriter):
    """`abs activities import`, set-based (see the module docstring)."""

    target = activity
    key = ("lead_id", "type", "occurred_at")
    dedupe_by = ("lead_email", "external_id", "type", "occurred_at")
    updated_columns = ("rep_id", "outcome", "notes", "due_at", "content_id")
    part = "activity"

    def __init__(self, importer: Importer, context: WriteContext, *args: Any) -> None:
        super().__init__(importer, context, *args)
        from abs_cli.imports.enablement import playbook_of

        self.fast = direct_validator(
            importer.model,
            self.options,
            _one_lead_key,
            memoised=frozenset({"type"}),
            stored=self.stored_times,
        )
        with self.conn.begin():  # both are read once per import, as the generic writer does
            self.pieces = playbook_of(context).content()
            self.reps = reps(context)

    def staged_columns(self) -> list[Column[Any]]:
        return [
            Column("lead_email", Text),
            Column("external_id", Text),
            Column("type", Text),
            Column("occurred_at", UTCDateTime),
            Column("rep_id", Integer),
            Column("rep_refusal", Text),
            Column("outcome", Text),
            Column("notes", Text),
            Column("due_at", UTCDateTime),
            Column("content_id", Text),
            Column("content_refusal", Text),
            Column("cells", LargeBinary),
            Column("lead_id", Integer),
        ]

    def typed(
        self, line: int, cells: list[str], key: Hashable, values: dict[str, Any]
    ) -> tuple[Any, ...]:
        rep_id = rep_refusal = content_refusal = None
        rep = values.get("rep_email")
        if rep is not None:
            try:
                rep_id = self.reps.find(rep, "rep_email")
            except ValueError as error:
                rep_refusal = str(error)
        content_id = values.get("content_id")
        if content_id is not None and content_id not in self.pieces:
            content_refusal = f"content {content_id!r} is not in the playbook"
        return (
            line,
            values.get("lead_email"),
            values.get("external_id"),
            values["type"],
            values["occurred_at"],
            rep_id,
            rep_refusal,
            values.get("outcome"),
            values.get("notes"),
            values.get("due_at"),
            content_id,
            content_refusal,
            None if self.context.rereads_cells else marshal.dumps(cells),
            None,
        )

    def write_next(self, limit: int) -> BatchRows | None:
        found = self.next_bounds(limit)
        if found is None:
            return None
        bounds = {"lo": found[0], "hi": found[1]}
        staged = self.table.c
        named = (
            lead.c.external_id == staged.external_id
            if self.has_external
            else lead.c.email == staged.lead_email
        )
        self.conn.execute(  # a join (UPDATE … FROM), not a subquery per row: on PostgreSQL
            # a third of the time; a row naming no stored lead keeps its NULL
            self.table.update().where(self.in_chunk(), named).values(lead_id=lead.c.id),
            bounds,
        )
        valid = and_(
            staged.lead_id.is_not(None),
            staged.rep_refusal.is_(None),
            staged.content_refusal.is_(None),
        )
        refused = self.conn.execute(
            select(
                staged.seq,
                staged.cells,
                staged.lead_email,
                staged.external_id,
                staged.lead_id,
                staged.rep_refusal,
                staged.content_refusal,
            )
            .where(self.in_chunk(), ~valid)
            .order_by(staged.seq),
            bounds,
        ).all()
        rows = self.conn.execute(
            select(func.count()).where(self.in_chunk()), bounds
        ).scalar_one() - len(refused)
        result = self.upsert_chunk(bounds, valid, rows)
        result.rejects = [
            (seq, None if cells is None else marshal.loads(cells), _reason(*why))
            for seq, cells, *why in refused
        ]
        return result

    @property
    def has_external(self) -> bool:
        """The file names its leads by `external_id` (and not by e-mail: see
        `names_leads_twice`)."""
        return "external_id" in dict(self.items)

    def mark_written(
        self, written: Table, where: ColumnElement[bool], params: dict[str, int]
    ) -> None:
        """The activities' months; for a touch on an inbound lead, its creation month's
        speed-to-lead (as `marks.mark_activities`)."""
        super().mark_written(written, where, params)
        touched = (
            select(month_key(lead.c.created_at))
            .select_from(written.join(lead, lead.c.id == written.c.lead_id))
            .where(
                where,
                written.c.type.in_(TOUCH_TYPES),
                func.lower(lead.c.source).in_(INBOUND_SOURCES),
            )
        )
        mark(self.conn, "speed", touched.params(params))


def _one_lead_key(values: dict[str, Any]) -> None:
    """`records.LeadRef`'s model validator."""
    if "lead_email" not in values and "external_id" not in values:
        raise ValueError("lead_email and external_id are both empty (one is required)")


def _reason(
    lead_email: str | None,
    external_id: str | None,
    lead_id: int | None,
    rep_refusal: str | None,
    content_refusal: str | None,
) -> str:
    """Why a staged activity is refused, checks in the generic writer's order."""
    if content_refusal is not None:
        return content_refusal
    if lead_id is None:
        named = f"lead_email {lead_email!r}" if lead_email else f"external_id {external_id!r}"
        return f"{named} is not a lead in the store (import it first)"
    return rep_refusal or ""


class UsageWriter(_RecordWriter):
    """`abs usage import`, set-based (see the module docstring)."""

    target = usage_event
    key = ("user_key", "occurred_at", "feature")
    dedupe_by = key
    updated_columns = ("account_id",)
    part = "usage"

    def __init__(self, importer: Importer, context: WriteContext, *args: Any) -> None:
        super().__init__(importer, context, *args)
        self.fast = direct_validator(
            importer.model,
            self.options,
            memoised=frozenset({"occurred_at", "account"}),
            stored=self.stored_times,
        )

    def staged_columns(self) -> list[Column[Any]]:
        return [
            Column("user_key", Text),
            Column("occurred_at", UTCDateTime),
            Column("account", Text),
            Column("feature", Text),
        ]

    def typed(
        self, line: int, cells: list[str], key: Hashable, values: dict[str, Any]
    ) -> tuple[Any, ...]:
        user = values["user"]
        return (
            line,
            user.lower() if "@" in user else user,
            values["occurred_at"],
            values.get("account"),
            values.get("feature", ""),
        )

    def source(self, name: str) -> ColumnElement[Any]:
        if name == "account_id":
            return (
                select(account.c.id)
                .where(account.c.domain == self.table.c.account)
                .correlate(self.table)  # also from within the probes' EXISTS
                .scalar_subquery()
            )
        return self.table.c[name]

    def write_next(self, limit: int) -> BatchRows | None:
        found = self.next_bounds(limit)
        if found is None:
            return None
        bounds = {"lo": found[0], "hi": found[1]}
        self.create_accounts(bounds)
        rows = self.conn.execute(select(func.count()).where(self.in_chunk()), bounds).scalar_one()
        return self.upsert_chunk(bounds, true(), rows)

    def create_accounts(self, bounds: dict[str, int]) -> None:
        """The chunk's unknown domains become accounts, in order of first use (as
        `resolve.ensure_accounts`, with no name)."""
        staged = self.table.c
        stamp = self.context.started
        domains = (
            select(staged.account, literal(stamp, UTCDateTime), literal(stamp, UTCDateTime))
            .where(
                self.in_chunk(),
                staged.account.is_not(None),
                ~exists().where(account.c.domain == staged.account),
            )
            .group_by(staged.account)
            .order_by(func.min(staged.seq))
        )
        statement = (
            upsert(self.conn, account)
            .from_select(["domain", "created_at", "updated_at"], domains)
            .on_conflict_do_nothing(index_elements=["domain"])
        )
        written = self.conn.execute(
            statement.execution_options(preserve_rowcount=True), bounds
        )  # psycopg forgets an INSERT's rowcount once SQLAlchemy closes the cursor
        created = written.rowcount
        cache = self.context.cache
        cache[ACCOUNTS_CREATED] = cache.get(ACCOUNTS_CREATED, 0) + max(created, 0)


def names_leads_twice(positions: dict[str, int]) -> bool:
    """The file has both a `lead_email` and an `external_id` column: see the module
    docstring."""
    return "lead_email" in positions and "external_id" in positions


def bulk_writer(
    importer: Importer,
    kind: type[_RecordWriter],
    generic_when: Callable[[dict[str, int]], bool] | None = None,
) -> Callable[..., StagedWriter]:
    """The `Importer.bulk` factory of `importer`'s record writer `kind`;
    `generic_when(positions)` says when a file needs the generic writer instead."""
    if importer.money:
        raise ValueError("a record writer checks no currency")

    def build(
        context: WriteContext,
        positions: dict[str, int],
        value_maps: dict[str, dict[str, str]],
        options: dict[str, Any],
    ) -> StagedWriter:
        writer = GenericWriter if generic_when and generic_when(positions) else kind
        return writer(importer, context, positions, value_maps, options, "")

    return build
