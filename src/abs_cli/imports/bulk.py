"""`abs leads import`, set-based on both backends: the comparisons run in the database.

Python does the per-row work only: one compiled function turns a CSV row into a tuple of
storage values (the same parsers and messages as the row model, memoised for the values
files repeat: countries, sources, stages, e-mail domains). The whole file is staged, in
file order, into a TEMP table (`abs_import_file`: an `executemany` on SQLite, `COPY` on
PostgreSQL); each key's earlier rows are dropped from it in one statement, so the last
row of a key wins wherever it stands. The winners are then applied a chunk at a time
through a second TEMP table (`abs_import_lead`): the same handful of statements on both
databases create the accounts, find the stored leads, split the chunk into new, changed
and unchanged leads, and write the leads; the stage-history rows of a whole transaction
are written before its commit, sorted by time. Nothing is read back into Python but the
counts and the (rare) rows rejected for a conflicting `external_id`. The engine
(`engine._run_staged`) keeps the rejects file, the summary, the transactions and
`--strict` / `--dry-run` as for every importer.

What differs between SQLite and PostgreSQL (the load, new ids, `IS DISTINCT FROM`, a
timestamp's stored form, the rows applied per round) comes from `store/sql.py`.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from abs_cli.imports.engine import BULK_BATCH, FORMULA_STARTS, BatchRows, WriteContext
from abs_cli.imports.fastpath import MEMO_LIMIT, chained, field_parsers
from abs_cli.imports.lead_fields import STORED_FIELDS, LeadRow
from abs_cli.imports.resolve import lead_table, reps
from abs_cli.imports.values import is_freemail, is_inbound
from abs_cli.store.journal import (
    insert_journal_paused,
    insert_journal_resumed,
    inserts_journaled,
)
from abs_cli.store.marks import mark, mark_leads
from abs_cli.store.sql import (
    analyze,
    copy_rows,
    distinct_from,
    earlier_duplicates_dropped,
    emptied,
    is_sqlite,
    month_key,
    new_ids,
    rows_applied_at_once,
    stored_timestamp,
)
from abs_cli.store.stays import insert_first_stays, refresh_stays

BULK_CHUNK = 20_000
"""Staged rows applied per round of statements (the TEMP chunk table's size: each
statement's fixed cost is paid once per chunk)."""
MEMOISED = frozenset(
    {"country", "source", "stage", "buying_role", "consent", "employees", "created_at", "domain"}
)
"""Columns whose values repeat across rows: each distinct cell is parsed once."""

FIELDS = tuple(LeadRow.model_fields)
SLOT = {name: index for index, name in enumerate(FIELDS)}
EMAIL, EXTERNAL_ID = SLOT["email"], SLOT["external_id"]
DOMAIN, OWNER, SOURCE = SLOT["domain"], SLOT["owner"], SLOT["source"]

INSERTED_TABLES = ("account", "lead", "stage_history")
"""The tables whose new rows the writer journals itself, set-based (on SQLite, inside a
change set: `store/journal.py`)."""

FILE, CHUNK, DOMAINS, HISTORY, TOUCHED = (
    "abs_import_file",
    "abs_import_lead",
    "abs_import_domain",
    "abs_import_history",
    "abs_import_touched",
)


def _staging_tables() -> sa.MetaData:
    """The TEMP tables of one import, typed like the `lead` columns they feed.

    The file's valid rows by line (`seq`) with their key and, when the file has an
    `external_id` column and comes from stdin, their cells as read (`marshal`-led, for the
    rejects file: `imports/rejects.py`); the
    chunk being applied, with what the statements find out about each row; each domain's
    first company; the history rows of a transaction and the leads whose stays it
    recomputes (moved, or re-dated).
    """
    metadata = sa.MetaData()
    lead = lead_table.c

    def staged() -> list[sa.Column[Any]]:
        return [
            *(sa.Column(name, lead[name].type) for name in STORED_FIELDS),
            sa.Column("inbound", lead.inbound.type),
            sa.Column("owner_id", sa.Integer),
            sa.Column("domain", sa.String),
        ]

    def table(name: str, *columns: sa.Column[Any]) -> None:
        sa.Table(name, metadata, *columns, prefixes=["TEMPORARY"])

    seq = "seq"
    table(
        FILE,
        sa.Column(seq, sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("k", sa.String, nullable=False),
        sa.Column("cells", sa.LargeBinary),
        *staged(),
    )
    table(
        CHUNK,
        sa.Column(seq, sa.Integer, primary_key=True, autoincrement=False),
        *staged(),
        sa.Column("state", sa.String),
        sa.Column("account_id", sa.Integer),
        sa.Column("lead_id", sa.Integer),
        sa.Column("ext_id", sa.Integer),
    )
    table(
        DOMAINS, sa.Column("domain", sa.String, primary_key=True), sa.Column("company", sa.String)
    )
    table(
        HISTORY,
        sa.Column(seq, sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.Integer),
        sa.Column("from_stage", sa.String),
        sa.Column("to_stage", sa.String),
        sa.Column("changed_at", lead.created_at.type),
        sa.Column("owner_id", sa.Integer),
        sa.Column("forced", sa.Boolean),
    )
    table(TOUCHED, sa.Column("lead_id", sa.Integer, primary_key=True, autoincrement=False))
    return metadata


_history = sa.table(HISTORY, *(sa.column(name) for name in ("lead_id", "changed_at", "to_stage")))
_staged = sa.table(CHUNK, sa.column("lead_id"), sa.column("state"), sa.column("created_at"))
CHANGED_LEADS = sa.select(_staged.c.lead_id).where(_staged.c.state == "changed")
NEW_LEADS_HISTORY = sa.select(_history).where(
    _history.c.lead_id.not_in(sa.select(sa.column("lead_id")).select_from(sa.table(TOUCHED)))
)
"""The creation rows of the leads a transaction created and did not move again."""
COMPARED = (*STORED_FIELDS, "account_id", "owner_id", "inbound")
UPDATED = ", ".join(f"{c} = coalesce(s.{c}, lead.{c})" for c in COMPARED)
INSERTED = [c for c in STORED_FIELDS if c not in ("stage", "created_at")]


class _Failure:
    """A memoised rejection: the message of the ValueError a cell raised."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _memo(parse: Callable[[str], Any]) -> tuple[dict[str, Any], Callable[[str], Any]]:
    """A memo of `parse`'s results (a ValueError as a `_Failure`) and the function that
    fills it on a miss: the converter looks a cell up itself, calling only on a miss."""
    memo: dict[str, Any] = {}

    def miss(cell: str) -> Any:
        try:
            hit = parse(cell)
        except ValueError as error:
            hit = _Failure(str(error))
        if len(memo) < MEMO_LIMIT:
            memo[cell] = hit
        return hit

    return memo, miss


def _too_long(name: str, limit: int, cell: str) -> str:
    return f"{name} is longer than {limit} characters ({len(cell)})"


def row_converter(
    conn: Connection,
    positions: dict[str, int],
    value_maps: dict[str, dict[str, str]],
    options: dict[str, Any],
) -> Callable[[list[str]], list[Any]]:
    """A function from the CSV cells of a row to its validated values in `FIELDS` order.

    Raises ValueError with the row model's message for the first bad field (model order).
    Dates and flags come out as the values the database stores.

    The function is compiled for the file's columns, one block of statements per
    column in model order (no loop, no per-column tuple): per row, a column costs its
    strip, the undoing of the export's formula escaping, its `--value` table, and then
    the length check of plain text, a memo look-up of a value that repeats (the parser
    called on a miss only), or the field's parser.
    """
    flag = lead_table.c.consent.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    stored: dict[str, Callable[[Any], Any]] = {"created_at": stored_timestamp(conn)}
    if flag is not None:
        stored["consent"] = flag
    parsers = field_parsers(LeadRow, options)
    scope: dict[str, Any] = {
        "FORMULA_STARTS": FORMULA_STARTS,
        "Failure": _Failure,
        "too_long": _too_long,
    }
    body: list[str] = []
    slots: dict[int, str] = {}
    for name in FIELDS:
        if name not in positions:
            continue
        slot, index = SLOT[name], positions[name]
        parse, limit = parsers[name]
        to_store = stored.get(name)
        if to_store is not None:
            parse = chained(parse, to_store)
        value = slots[slot] = f"v{slot}"
        body += [
            f"    {value} = None",
            f"    if {index} < width:",
            f"        cell = cells[{index}].strip()",
            "        if cell:",
            '            if cell[0] == "\'" and cell[1:2] in FORMULA_STARTS:',
            "                cell = cell[1:]",
        ]
        table = value_maps.get(name)
        if table is not None:
            scope[f"table{slot}"] = table
            body.append(f"            cell = table{slot}.get(cell.lower(), cell)")
        if limit is not None:  # plain text: the length check is the whole parser
            body += [
                f"            if len(cell) > {limit}:",
                f"                raise ValueError(too_long({name!r}, {limit}, cell))",
                f"            {value} = cell",
            ]
        elif name in MEMOISED:
            scope[f"memo{slot}"], scope[f"miss{slot}"] = _memo(parse)
            body += [
                f"            {value} = memo{slot}.get(cell)",
                f"            if {value} is None:",
                f"                {value} = miss{slot}(cell)",
                f"            if {value}.__class__ is Failure:",
                f"                raise ValueError({value}.message)",
            ]
        else:
            scope[f"parse{slot}"] = parse
            body.append(f"            {value} = parse{slot}(cell)")
    result = ", ".join(slots.get(slot, "None") for slot in range(len(FIELDS)))
    source = "\n".join(
        ["def convert(cells):", "    width = len(cells)", *body, f"    return [{result}]"]
    )
    exec(compile(source, "<abs leads import: row converter>", "exec"), scope)
    convert: Callable[[list[str]], list[Any]] = scope["convert"]
    return convert


def _stager(
    fields: list[str], extras: list[str], keep_cells: bool
) -> Callable[..., list[tuple[Any, ...]]]:
    """A function from converted rows `(line, cells, values)` to the rows staged in
    `abs_import_file`: line, key (`lead_key`), the cells (`marshal`-led, when kept), the
    `fields` and the `extras` (inbound flag, account domain, owner id), compiled for the
    file's columns."""
    parts = [f"v[{SLOT[name]}]" for name in fields]
    made = {
        "inbound": f"(None if v[{SOURCE}] is None else inbound(v[{SOURCE}]))",
        "domain": "account_domain(v)",
        "owner_id": f"v[{OWNER}]",
    }
    parts += [made[name] for name in extras]
    key = f"(v[{EMAIL}] if v[{EMAIL}] is not None else '#' + v[{EXTERNAL_ID}])"
    cells = "dumps(cells)" if keep_cells else "None"
    row = f"(line, {key}, {cells}, {', '.join(parts)})"
    source = "\n".join(
        [
            "def stage(rows, inbound, account_domain):",
            f"    return [{row} for line, cells, v in rows]",
        ]
    )
    scope: dict[str, Any] = {"dumps": marshal.dumps}
    exec(compile(source, "<abs leads import: staged rows>", "exec"), scope)
    stage: Callable[..., list[tuple[Any, ...]]] = scope["stage"]
    return stage


def lead_key(values: list[Any]) -> str:
    """A lead's key within a file: its e-mail, else its external id."""
    email: str | None = values[EMAIL]
    if email is not None:
        return email
    external_id: str | None = values[EXTERNAL_ID]
    if external_id is not None:
        return "#" + external_id
    raise ValueError("email and external_id are both empty (one is required)")


class LeadBulkWriter:
    """Stages a leads file whole, then applies its winning rows chunk by chunk."""

    chunk = BULK_CHUNK
    batch = BULK_BATCH
    staged_table = FILE

    def __init__(
        self,
        context: WriteContext,
        positions: dict[str, int],
        value_maps: dict[str, dict[str, str]],
        options: dict[str, Any],
    ) -> None:
        self.context = context
        self.conn = context.conn
        self.chunk = rows_applied_at_once(self.conn, BULK_CHUNK, BULK_BATCH)
        self._convert = row_converter(self.conn, positions, value_maps, options)
        self.has_external_id = "external_id" in positions
        self.team = None
        self.stamp = context.started
        self.freemail: dict[str, bool] = {}
        self.inbound: dict[str, Any] = {}
        self.deferred: list[tuple[str, str]] = []
        self.journal: int | None = None
        self.after = 0
        self.tables = _staging_tables()
        flag = lead_table.c.inbound.type.dialect_impl(self.conn.dialect)
        self.flag = flag.bind_processor(self.conn.dialect) or bool
        with _transaction(self.conn):
            if "owner" in positions:
                self.team = reps(context)
            self.tables.drop_all(self.conn, checkfirst=True)
            self.tables.create_all(self.conn)
            self.journal = insert_journal_paused(self.conn, INSERTED_TABLES)
        # Only the columns the file has are staged (binding costs per value).
        fields = [name for name in STORED_FIELDS if name in positions]
        self.has_source = "source" in positions
        self.has_domain = "email" in positions or "domain" in positions
        self.has_company = "company" in positions
        extras = [
            *(["inbound"] if self.has_source else []),
            *(["domain"] if self.has_domain else []),
            *(["owner_id"] if "owner" in positions else []),
        ]
        self.staged_columns = [*fields, *extras]
        # Only a row with an external id can be refused once staged; its cells are staged
        # when the rejects file cannot read them again (stdin).
        keep_cells = self.has_external_id and not context.rereads_cells
        self._staged_rows = _stager(fields, extras, keep_cells)
        self.statements = _Statements(
            self.conn, ", ".join(self.staged_columns), self.has_external_id
        )
        created = sa.func.coalesce(
            _staged.c.created_at, sa.literal(self.stamp, lead_table.c.created_at.type)
        )
        self.new_months = sa.select(month_key(created)).where(_staged.c.state == "new")
        """The creation months of the chunk's new leads (`created_at`, else the run's)."""

    def convert(self, cells: list[str]) -> list[Any]:
        """The row's values in `FIELDS` order, its owner as a rep id; ValueError names
        the first bad field (an unknown owner too, so an earlier valid row of its key
        wins)."""
        values = self._convert(cells)
        if values[EMAIL] is None and values[EXTERNAL_ID] is None:
            raise ValueError("email and external_id are both empty (one is required)")
        owner = values[OWNER]
        if owner is not None and self.team is not None:
            values[OWNER] = self.team.find(owner, "owner")
        return values

    def stage(self, rows: list[tuple[int, list[str], Any]]) -> None:
        """Append converted rows to `abs_import_file`, in file order."""
        staged = self._staged_rows(rows, self._inbound, self._account_domain)
        copy_rows(self.conn, FILE, ["seq", "k", "cells", *self.staged_columns], staged)

    def _inbound(self, source: str) -> Any:
        """Whether `source` is inbound, as the database stores the flag."""
        flag = self.inbound.get(source)
        if flag is None:
            flag = self.inbound[source] = self.flag(is_inbound(source))
        return flag

    def drop_earlier_duplicates(self) -> int:
        """Keep each key's last row; then note each domain's first company (file order),
        which names the account the winners of that domain create."""
        run = self.conn.exec_driver_sql
        dropped = run(earlier_duplicates_dropped(self.conn, FILE, ("k",))).rowcount
        if self.has_external_id:
            # A new e-mail taking an id an earlier row of the file gave is refused.
            run(f"CREATE INDEX abs_import_file_external_id ON {FILE} (external_id, seq)")
        if self.has_domain and self.has_company:
            run(
                f"INSERT INTO {DOMAINS} (domain, company) "
                "SELECT domain, company FROM (SELECT domain, company, row_number() OVER "
                f"(PARTITION BY domain ORDER BY seq) AS n FROM {FILE} "
                "WHERE domain IS NOT NULL AND company IS NOT NULL) AS firsts WHERE n = 1"
            )
        analyze(self.conn, FILE)
        return dropped

    def finish(self) -> None:
        """Before each commit: write the batch's stage-history rows, in time order.

        Sorted by `changed_at`, the rows reach the (to_stage, changed_at) index of
        `stage_history` as one sweep per batch instead of one random probe per row; rows
        that share a timestamp keep their file order (their ids order them). Then the
        stays: a lead created here and not moved again gets its first stay straight from
        its creation row, every other touched lead goes through `refresh_stays`."""
        run = self.conn.exec_driver_sql
        after = run("SELECT coalesce(max(id), 0) FROM stage_history").scalar_one()
        self._journaled(
            "stage_history",
            lambda: run(
                "INSERT INTO stage_history (lead_id, from_stage, to_stage, changed_at, rep_id, "
                "owner_id, reason, amount, forced, origin) "
                "SELECT lead_id, from_stage, to_stage, changed_at, NULL, owner_id, NULL, NULL, "
                f"forced, 'import' FROM {HISTORY} WHERE true ORDER BY changed_at, seq "
                "ON CONFLICT (lead_id, changed_at, to_stage) DO NOTHING"
            ),
        )
        run(
            f"INSERT INTO {TOUCHED} SELECT lead_id FROM {HISTORY} WHERE true "
            "GROUP BY lead_id HAVING count(*) > 1 OR max(from_stage) IS NOT NULL "
            "ON CONFLICT DO NOTHING"
        )
        insert_first_stays(self.conn, NEW_LEADS_HISTORY, after)
        touched = run(f"SELECT lead_id FROM {TOUCHED} ORDER BY lead_id").scalars()
        refresh_stays(self.conn, touched.all())
        run(emptied(self.conn, HISTORY))
        run(emptied(self.conn, TOUCHED))

    def defer_indexes(self) -> None:
        """SQLite, inside a transaction that covers the whole import, into a store
        without leads: drop the secondary indexes of `lead` and `stage_history` (the
        unique ones stay), to build them once at the end (sorting beats a random-order
        insert per row). The DDL is transactional: a failed or interrupted import leaves
        them in place."""
        conn = self.conn
        if not is_sqlite(conn):
            return
        if conn.exec_driver_sql("SELECT 1 FROM lead LIMIT 1").first() is not None:
            return
        self.deferred = [
            (name, sql)
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN ('lead', 'stage_history') AND sql IS NOT NULL "
                "AND sql NOT LIKE 'CREATE UNIQUE%'"
            )
        ]
        for name, _sql in self.deferred:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        for _name, sql in self.deferred:
            self.conn.exec_driver_sql(sql)
        self.deferred = []

    def close(self) -> None:
        with _transaction(self.conn):
            self.tables.drop_all(self.conn, checkfirst=True)
            insert_journal_resumed(self.conn, INSERTED_TABLES, self.journal)
            self.journal = None

    def _journaled(self, table: str, insert: Callable[[], Any]) -> None:
        """Run `insert`, then journal the rows it added to `table` (when the writer
        journals its inserts itself)."""
        with inserts_journaled(self.conn, self.journal, table):
            insert()

    def _account_domain(self, values: list[Any]) -> str | None:
        domain: str | None = values[DOMAIN]
        if domain is not None:
            return domain
        email = values[EMAIL]
        if email is None:
            return None
        domain = email[email.index("@") + 1 :]
        free = self.freemail.get(domain)
        if free is None:
            free = is_freemail(domain)
            if len(self.freemail) < MEMO_LIMIT:
                self.freemail[domain] = free
        return None if free else domain

    def write_next(self, limit: int) -> BatchRows | None:
        """Apply the next `limit` staged rows (distinct keys, file order)."""
        statements, conn, stamp = self.statements, self.conn, self.stamp
        conn.execute(statements.clear)
        taken = conn.execute(statements.take, {"after": self.after, "limit": limit}).rowcount
        if not taken:
            return None
        if not self.after:
            analyze(conn, CHUNK)  # every chunk looks alike: the first one's statistics do
        self.after = int(conn.execute(statements.last).scalar_one())
        self._journaled("account", lambda: conn.execute(statements.accounts, {"stamp": stamp}))
        result = BatchRows()
        if self.has_external_id:
            self._external_ids(result)
        conn.execute(statements.new)
        conn.execute(statements.account_ids)
        conn.execute(statements.changed)
        conn.execute(statements.moves, {"stamp": stamp})
        conn.execute(statements.redated)
        mark_leads(conn, CHANGED_LEADS)  # their creation months before the update
        conn.execute(statements.update, {"stamp": stamp})
        self._journaled("lead", lambda: conn.execute(statements.insert, {"stamp": stamp}))
        conn.execute(statements.created, {"stamp": stamp})
        mark_leads(conn, CHANGED_LEADS)  # and after it
        for part in ("cohort", "speed"):  # the new leads' months, read from the chunk
            mark(conn, part, self.new_months)
        counts: dict[str, int] = {state: count for state, count in conn.execute(statements.counts)}
        result.inserted = counts.get("new", 0)
        result.updated = counts.get("changed", 0)
        result.unchanged = counts.get("", 0)
        return result

    def _external_ids(self, result: BatchRows) -> None:
        """Leads found by external id. A row is rejected when its e-mail and its id name
        two different stored leads, or when its e-mail is new and another row of the file
        gives its id (to another e-mail: keys are distinct once staged): any other row
        when the id is stored, an earlier one when the row would create its lead."""
        statements, conn = self.statements, self.conn
        for statement in statements.external_ids:
            conn.execute(statement)
        for seq, state, external_id, cells in conn.execute(statements.conflicts):
            if state == "belongs":
                reason = f"external_id {external_id!r} belongs to another lead"
            else:
                reason = f"external_id {external_id!r} is given to two e-mails in the file"
            result.rejects.append((seq, None if cells is None else marshal.loads(cells), reason))


class _Statements:
    """The statements that apply one chunk, compiled once per import for its database."""

    def __init__(self, conn: Connection, columns: str, by_external_id: bool) -> None:
        stamp = sa.bindparam("stamp", type_=lead_table.c.updated_at.type)

        def sql(text: str, *binds: sa.BindParameter[Any]) -> sa.TextClause:
            return sa.text(text).bindparams(*binds) if binds else sa.text(text)

        changed = " OR ".join(
            f"(s.{c} IS NOT NULL AND {distinct_from(conn, f's.{c}', f'l.{c}')})" for c in COMPARED
        )
        self.clear = sql(emptied(conn, CHUNK))
        # Each row's stored lead (by e-mail) is found as the row is taken, and a new
        # lead's account as the lead gets its id: each pass of an UPDATE over the chunk
        # writes a new version of all its rows, and the chunk is most of a round's I/O.
        # So is the lead its external id names, if any (`_external_ids`).
        self.take = sql(
            f"INSERT INTO {CHUNK} (seq, {columns}, lead_id"
            + (", ext_id" if by_external_id else "")
            + f") SELECT seq, {columns}, (SELECT id FROM lead WHERE lead.email = f.email)"
            + (
                ", (SELECT id FROM lead WHERE lead.external_id = f.external_id)"
                if by_external_id
                else ""
            )
            + f" FROM {FILE} AS f WHERE seq > :after ORDER BY seq LIMIT :limit"
        )
        self.last = sql(f"SELECT max(seq) FROM {CHUNK}")
        # New accounts, named after the first row of the file that gives a company.
        self.accounts = sql(
            "INSERT INTO account (domain, name, created_at, updated_at) "
            f"SELECT d.domain, (SELECT company FROM {DOMAINS} AS n WHERE n.domain = d.domain), "
            ":stamp, :stamp "
            f"FROM (SELECT domain, min(seq) AS first FROM {CHUNK} AS s "
            "WHERE domain IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM account WHERE account.domain = s.domain) GROUP BY domain) AS d "
            "ORDER BY d.first ON CONFLICT (domain) DO NOTHING",
            stamp,
        )
        account_id = f"(SELECT id FROM account WHERE account.domain = {CHUNK}.domain)"
        fresh = new_ids(
            conn, "lead", f"SELECT seq FROM {CHUNK} WHERE lead_id IS NULL AND state IS NULL"
        )
        self.new = sql(
            f"UPDATE {CHUNK} SET state = 'new', lead_id = n.id, account_id = {account_id} "
            f"FROM ({fresh}) AS n WHERE {CHUNK}.seq = n.seq"
        )
        self.account_ids = sql(  # the stored leads' (new leads have theirs)
            f"UPDATE {CHUNK} SET account_id = {account_id} "
            "WHERE domain IS NOT NULL AND state IS NULL AND lead_id IS NOT NULL"
        )
        self.changed = sql(
            f"UPDATE {CHUNK} SET state = 'changed' WHERE seq IN ("
            f"SELECT s.seq FROM {CHUNK} AS s CROSS JOIN lead AS l "
            f"WHERE s.state IS NULL AND l.id = s.lead_id AND ({changed}))"
        )
        self.moves = sql(
            f"INSERT INTO {HISTORY} (lead_id, from_stage, to_stage, changed_at, owner_id, forced) "
            "SELECT s.lead_id, l.stage, s.stage, :stamp, coalesce(s.owner_id, l.owner_id), true "
            f"FROM {CHUNK} AS s CROSS JOIN lead AS l WHERE s.state = 'changed' "
            "AND l.id = s.lead_id AND s.stage IS NOT NULL AND s.stage != l.stage ORDER BY s.seq",
            stamp,
        )
        self.redated = sql(
            f"INSERT INTO {TOUCHED} SELECT s.lead_id FROM {CHUNK} AS s CROSS JOIN lead AS l "
            "WHERE s.state = 'changed' AND l.id = s.lead_id AND s.created_at IS NOT NULL "
            f"AND {distinct_from(conn, 's.created_at', 'l.created_at')} ON CONFLICT DO NOTHING"
        )
        self.update = sql(
            f"UPDATE lead SET {UPDATED}, updated_at = :stamp, stage_changed_at = CASE "
            "WHEN s.stage IS NOT NULL AND s.stage != lead.stage THEN :stamp "
            "ELSE lead.stage_changed_at END "
            f"FROM {CHUNK} AS s WHERE s.state = 'changed' AND lead.id = s.lead_id",
            stamp,
        )
        inserted = ", ".join(INSERTED)
        self.insert = sql(
            f"INSERT INTO lead (id, {inserted}, account_id, owner_id, inbound, stage, "
            "created_at, stage_changed_at, updated_at) "
            f"SELECT lead_id, {inserted}, account_id, owner_id, coalesce(inbound, false), "
            "coalesce(stage, 'prospect'), coalesce(created_at, :stamp), "
            f"coalesce(created_at, :stamp), :stamp FROM {CHUNK} WHERE state = 'new' ORDER BY seq",
            stamp,
        )
        self.created = sql(
            f"INSERT INTO {HISTORY} (lead_id, from_stage, to_stage, changed_at, owner_id, forced) "
            "SELECT lead_id, NULL, coalesce(stage, 'prospect'), coalesce(created_at, :stamp), "
            f"owner_id, false FROM {CHUNK} WHERE state = 'new' ORDER BY seq",
            stamp,
        )
        self.counts = sql(f"SELECT coalesce(state, ''), count(*) FROM {CHUNK} GROUP BY 1")
        self.external_ids = [
            sql(
                f"UPDATE {CHUNK} SET state = 'belongs' WHERE state IS NULL "
                "AND lead_id IS NOT NULL AND ext_id IS NOT NULL AND ext_id != lead_id"
            ),
            # A new e-mail whose id names a stored lead is that lead's new e-mail, unless
            # another row of the file gives the same id: then two rows would write one lead,
            # each import undoing the other's e-mail.
            sql(
                f"UPDATE {CHUNK} SET state = 'twice' WHERE state IS NULL AND lead_id IS NULL "
                f"AND ext_id IS NOT NULL AND EXISTS (SELECT 1 FROM {FILE} AS e "
                f"WHERE e.external_id = {CHUNK}.external_id AND e.seq <> {CHUNK}.seq)"
            ),
            sql(
                f"UPDATE {CHUNK} SET lead_id = ext_id "
                "WHERE state IS NULL AND lead_id IS NULL AND ext_id IS NOT NULL"
            ),
            sql(
                f"UPDATE {CHUNK} SET state = 'twice' WHERE state IS NULL AND lead_id IS NULL "
                f"AND external_id IS NOT NULL AND EXISTS (SELECT 1 FROM {FILE} AS e "
                f"WHERE e.external_id = {CHUNK}.external_id AND e.seq < {CHUNK}.seq)"
            ),
        ]
        self.conflicts = sql(
            f"SELECT s.seq, s.state, s.external_id, f.cells FROM {CHUNK} AS s "
            f"JOIN {FILE} AS f ON f.seq = s.seq "
            "WHERE s.state IN ('belongs', 'twice') ORDER BY s.seq"
        )


def _transaction(conn: Connection) -> AbstractContextManager[Any]:
    """A transaction of its own, or the caller's when one is open (`abs leads edit` writes
    its one row inside its recorded change)."""
    return nullcontext() if conn.in_transaction() else conn.begin()
