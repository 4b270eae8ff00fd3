"""`abs leads import` on SQLite, set-based: the comparisons run in SQLite, not in Python.

Python does the per-row work only: one compiled function turns a CSV row into a tuple of
storage values (the same parsers and messages as the row model, memoised for the values
files repeat: countries, sources, stages, dates, e-mail domains). The whole file is
staged, in file order, into a TEMP table (`abs_import_file`); each key's earlier rows
are dropped from it in one statement, so the last row of a key wins wherever it stands.
The winners are then applied a chunk at a time through a second TEMP table
(`abs_import_lead`): a handful of statements, inside SQLite, create the accounts, find
the stored leads, split the chunk into new, changed and unchanged leads, and write the
leads; the stage-history rows of a whole transaction are written before its commit,
sorted by time. Nothing is read back into Python but the counts and the (rare) rows
rejected for a conflicting `external_id`. The engine (`engine._run_staged`) keeps the
rejects file, the summary, the transactions and `--strict` / `--dry-run` as for every
importer.

The generic path (`leads.write_leads`) keeps the same rules for PostgreSQL.
"""

from __future__ import annotations

import operator
import pickle
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from abs_cli.imports.engine import (
    BULK_BATCH,
    FORMULA_STARTS,
    BatchRows,
    WriteContext,
)
from abs_cli.imports.fastpath import field_parsers
from abs_cli.imports.lead_fields import STORED_FIELDS, LeadRow
from abs_cli.imports.resolve import lead_table, reps
from abs_cli.imports.values import is_freemail, is_inbound
from abs_cli.store.marks import mark_leads
from abs_cli.store.stays import insert_first_stays, refresh_stays

MEMO_LIMIT = 20_000
BULK_CHUNK = 5000
"""Staged rows applied per round of statements."""
MEMOISED = frozenset(
    {"country", "source", "stage", "buying_role", "consent", "employees", "created_at", "domain"}
)
"""Columns whose values repeat across rows: each distinct cell is parsed once."""

FIELDS = tuple(LeadRow.model_fields)
SLOT = {name: index for index, name in enumerate(FIELDS)}
STAGED = (*STORED_FIELDS, "inbound", "owner_id", "domain")

FILE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS abs_import_file (seq INTEGER PRIMARY KEY, k TEXT, "
    "cells BLOB, " + ", ".join(STAGED) + ")"
)
"""The whole file's valid rows, by line (`seq`), with their key and their cells as read
(pickled, for the rejects file)."""
STAGING_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS abs_import_lead ("
    "seq INTEGER PRIMARY KEY, "
    + ", ".join(STAGED)
    + ", state TEXT, account_id INTEGER, lead_id INTEGER, ext_id INTEGER)"
)
"""The chunk being applied, with what the statements find out about each row."""
DOMAIN_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS abs_import_domain (domain TEXT PRIMARY KEY, company TEXT)"
)
HISTORY_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS abs_import_history (seq INTEGER PRIMARY KEY, "
    "lead_id INTEGER, from_stage TEXT, to_stage TEXT, changed_at TEXT, owner_id INTEGER, "
    "forced INTEGER)"
)
TOUCHED_DDL = "CREATE TEMP TABLE IF NOT EXISTS abs_import_touched (lead_id INTEGER PRIMARY KEY)"
"""The leads whose stays a transaction recomputes: moved, or their creation date changed."""
TEMP_TABLES = (
    "abs_import_file",
    "abs_import_lead",
    "abs_import_domain",
    "abs_import_history",
    "abs_import_touched",
)
_history = sa.table(
    "abs_import_history", *(sa.column(name) for name in ("lead_id", "changed_at", "to_stage"))
)
_staged = sa.table("abs_import_lead", sa.column("lead_id"), sa.column("state"))
CHANGED_LEADS = sa.select(_staged.c.lead_id).where(_staged.c.state == "changed")
WRITTEN_LEADS = sa.select(_staged.c.lead_id).where(_staged.c.state.in_(("changed", "new")))
NEW_LEADS_HISTORY = sa.select(_history).where(
    _history.c.lead_id.not_in(
        sa.select(sa.column("lead_id")).select_from(sa.table("abs_import_touched"))
    )
)
"""The creation rows of the leads a transaction created and did not move again."""
COMPARED = (*STORED_FIELDS, "account_id", "owner_id", "inbound")
CHANGED = " OR ".join(f"(s.{c} IS NOT NULL AND s.{c} IS NOT l.{c})" for c in COMPARED)
UPDATED = ", ".join(f"{c} = coalesce(s.{c}, lead.{c})" for c in COMPARED)
INSERTED = [c for c in STORED_FIELDS if c not in ("stage", "created_at")]


class _Failure:
    """A memoised rejection: the message of the ValueError a cell raised."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _memoised(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    memo: dict[str, Any] = {}

    def cached(cell: str) -> Any:
        hit = memo.get(cell)
        if hit is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            try:
                hit = parse(cell)
            except ValueError as error:
                hit = _Failure(str(error))
            memo[cell] = hit
        if hit.__class__ is _Failure:
            raise ValueError(hit.message)
        return hit

    return cached


def row_converter(
    conn: Connection,
    positions: dict[str, int],
    value_maps: dict[str, dict[str, str]],
    options: dict[str, Any],
) -> Callable[[list[str]], list[Any]]:
    """A function from the CSV cells of a row to its validated values in `FIELDS` order.

    Raises ValueError with the row model's message for the first bad field (model order).
    Dates, flags and numbers come out as the values SQLite stores.
    """
    dialect = conn.dialect
    stored = {
        "created_at": lead_table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect),
        "consent": int,
    }
    parsers = field_parsers(LeadRow, options)
    plan = []
    for name in FIELDS:
        if name not in positions:
            continue
        parse, limit = parsers[name]
        to_store = stored.get(name)
        if to_store is not None:
            parse = _chain(parse, to_store)
        if name in MEMOISED:
            parse = _memoised(parse)
        if limit is not None:
            parse = None  # plain text: the length check below is the whole parser
        plan.append((positions[name], SLOT[name], parse, value_maps.get(name), limit, name))
    width_needed = len(FIELDS)

    def convert(cells: list[str]) -> list[Any]:
        values: list[Any] = [None] * width_needed
        width = len(cells)
        for index, slot, parse, table, limit, name in plan:
            if index < width:
                cell = cells[index].strip()
                if cell:
                    if cell[0] == "'" and cell[1:2] in FORMULA_STARTS:
                        cell = cell[1:]  # undo the export's formula escaping
                    if table is not None:
                        cell = table.get(cell.lower(), cell)
                    if parse is None:
                        if len(cell) > limit:
                            raise ValueError(
                                f"{name} is longer than {limit} characters ({len(cell)})"
                            )
                        values[slot] = cell
                    else:
                        values[slot] = parse(cell)
        return values

    return convert


def _chain(first: Callable[[str], Any], then: Callable[[Any], Any]) -> Callable[[str], Any]:
    return lambda cell: then(first(cell))


EMAIL, EXTERNAL_ID = SLOT["email"], SLOT["external_id"]


def lead_key(values: list[Any]) -> str:
    """A lead's key within a file: its e-mail, else its external id."""
    email = values[EMAIL]
    if email is not None:
        return email
    external_id = values[EXTERNAL_ID]
    if external_id is not None:
        return "#" + external_id
    raise ValueError("email and external_id are both empty (one is required)")


class LeadBulkWriter:
    """Stages a leads file whole, then applies its winning rows chunk by chunk."""

    chunk = BULK_CHUNK
    batch = BULK_BATCH

    def __init__(
        self,
        context: WriteContext,
        positions: dict[str, int],
        value_maps: dict[str, dict[str, str]],
        options: dict[str, Any],
    ) -> None:
        self.context = context
        self.conn = context.conn
        self._convert = row_converter(self.conn, positions, value_maps, options)
        self.has_external_id = "external_id" in positions
        self.team = None
        dialect = self.conn.dialect
        process = lead_table.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.stamp = process(context.started)
        self.freemail: dict[str, bool] = {}
        self.deferred: list[tuple[str, str]] = []
        self.after = 0
        with self.conn.begin():
            if "owner" in positions:
                self.team = reps(context)
            for ddl in (FILE_DDL, STAGING_DDL, DOMAIN_DDL, HISTORY_DDL, TOUCHED_DDL):
                self.conn.exec_driver_sql(ddl)
            for table in TEMP_TABLES:
                self.conn.exec_driver_sql(f"DELETE FROM {table}")
        # Only the columns the file has are bound (binding costs per value); seq is the rowid.
        fields = [name for name in STORED_FIELDS if name in positions]
        self.fields = operator.itemgetter(*(SLOT[name] for name in fields))
        self.has_source = "source" in positions
        self.has_domain = "email" in positions or "domain" in positions
        self.has_company = "company" in positions
        extras = [
            *(["inbound"] if self.has_source else []),
            *(["domain"] if self.has_domain else []),
            *(["owner_id"] if "owner" in positions else []),
        ]
        self.columns = ", ".join([*fields, *extras])
        markers = ", ".join("?" for _ in range(3 + len(fields) + len(extras)))
        self.insert_staged = (
            f"INSERT INTO abs_import_file (seq, k, cells, {self.columns}) VALUES ({markers})"
        )

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
        staged = []
        fields, has_source, has_domain = self.fields, self.has_source, self.has_domain
        has_owner = self.team is not None
        account_domain = self._account_domain
        dumps = pickle.dumps
        for line, cells, values in rows:
            row = fields(values)
            if not isinstance(row, tuple):
                row = (row,)
            row = (line, lead_key(values), dumps(cells), *row)
            if has_source:
                source = values[SOURCE]
                row += (None if source is None else int(is_inbound(source)),)
            if has_domain:
                row += (account_domain(values),)
            if has_owner:
                row += (values[OWNER],)
            staged.append(row)
        if staged:
            self.conn.exec_driver_sql(self.insert_staged, staged)

    def drop_earlier_duplicates(self) -> int:
        """Keep each key's last row; then note each domain's first company (file order),
        which names the account the winners of that domain create."""
        run = self.conn.exec_driver_sql
        dropped = run(
            "DELETE FROM abs_import_file WHERE seq NOT IN "
            "(SELECT max(seq) FROM abs_import_file GROUP BY k)"
        ).rowcount
        if self.has_domain and self.has_company:
            run(
                "INSERT INTO abs_import_domain (domain, company) "
                "SELECT domain, company FROM (SELECT domain, company, row_number() OVER "
                "(PARTITION BY domain ORDER BY seq) AS n FROM abs_import_file "
                "WHERE domain IS NOT NULL AND company IS NOT NULL) AS firsts WHERE n = 1"
            )
        return dropped

    def finish(self) -> None:
        """Before each commit: write the batch's stage-history rows, in time order.

        Sorted by `changed_at`, the rows reach the (to_stage, changed_at) index of
        `stage_history` as one sweep per batch instead of one random probe per row; rows
        that share a timestamp keep their file order (their ids order them). Then the
        stays: a lead created here and not moved again gets its first stay straight from
        its creation row, every other touched lead goes through `refresh_stays`."""
        run = self.conn.exec_driver_sql
        run(
            "INSERT INTO stage_history (lead_id, from_stage, to_stage, changed_at, rep_id, "
            "owner_id, reason, amount, forced, origin) "
            "SELECT lead_id, from_stage, to_stage, changed_at, NULL, owner_id, NULL, NULL, "
            "forced, 'import' FROM abs_import_history WHERE true ORDER BY changed_at, seq "
            "ON CONFLICT (lead_id, changed_at, to_stage) DO NOTHING"
        )
        run(
            "INSERT OR IGNORE INTO abs_import_touched SELECT lead_id FROM abs_import_history "
            "GROUP BY lead_id HAVING count(*) > 1 OR max(from_stage) IS NOT NULL"
        )
        insert_first_stays(self.conn, NEW_LEADS_HISTORY)
        touched = run("SELECT lead_id FROM abs_import_touched ORDER BY lead_id").scalars()
        refresh_stays(self.conn, touched.all())
        run("DELETE FROM abs_import_history")
        run("DELETE FROM abs_import_touched")

    def defer_indexes(self) -> None:
        """Inside a transaction that covers the whole import, into a store without leads:
        drop the secondary indexes of `lead` and `stage_history` (the unique ones stay),
        to build them once at the end (sorting beats a random-order insert per row).
        The DDL is transactional: a failed or interrupted import leaves them in place."""
        conn = self.conn
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
        with self.conn.begin():
            for table in TEMP_TABLES:
                self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")

    def _account_domain(self, values: list[Any]) -> str | None:
        domain = values[DOMAIN]
        if domain is not None:
            return domain
        email = values[EMAIL]
        if email is None:
            return None
        domain = email[email.index("@") + 1 :]
        free = self.freemail.get(domain)
        if free is None:
            free = self.freemail[domain] = is_freemail(domain)
            if len(self.freemail) > MEMO_LIMIT:
                self.freemail.clear()
        return None if free else domain

    def write_next(self, limit: int) -> BatchRows | None:
        """Apply the next `limit` staged rows (distinct keys, file order)."""
        result = BatchRows()
        conn = self.conn
        run = conn.exec_driver_sql
        run("DELETE FROM abs_import_lead")
        taken = run(
            f"INSERT INTO abs_import_lead (seq, {self.columns}) SELECT seq, {self.columns} "
            "FROM abs_import_file WHERE seq > ? ORDER BY seq LIMIT ?",
            (self.after, limit),
        ).rowcount
        if not taken:
            return None
        self.after = int(run("SELECT max(seq) FROM abs_import_lead").scalar_one())
        # New accounts, named after the first row of the file that gives a company.
        run(
            "INSERT INTO account (domain, name, created_at, updated_at) "
            "SELECT d.domain, (SELECT company FROM abs_import_domain AS n "
            "WHERE n.domain = d.domain), ?1, ?1 "
            "FROM (SELECT domain, min(seq) AS first FROM abs_import_lead AS s "
            "WHERE domain IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM account WHERE account.domain = s.domain) GROUP BY domain) AS d "
            "ORDER BY d.first ON CONFLICT (domain) DO NOTHING",
            (self.stamp,),
        )
        stamp = self.stamp
        run(
            "UPDATE abs_import_lead SET account_id = "
            "(SELECT id FROM account WHERE account.domain = abs_import_lead.domain) "
            "WHERE domain IS NOT NULL AND state IS NULL"
        )
        run(
            "UPDATE abs_import_lead SET lead_id = "
            "(SELECT id FROM lead WHERE lead.email = abs_import_lead.email) "
            "WHERE email IS NOT NULL AND state IS NULL"
        )
        if self.has_external_id:
            self._external_ids(result)
        base = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM lead").scalar()
        run(
            "UPDATE abs_import_lead SET state = 'new', lead_id = n.id FROM ("
            "SELECT seq, ? + row_number() OVER (ORDER BY seq) AS id FROM abs_import_lead "
            "WHERE lead_id IS NULL AND state IS NULL) AS n WHERE abs_import_lead.seq = n.seq",
            (base,),
        )
        run(
            "UPDATE abs_import_lead SET state = 'changed' WHERE seq IN ("
            "SELECT s.seq FROM abs_import_lead AS s CROSS JOIN lead AS l "
            f"WHERE s.state IS NULL AND l.id = s.lead_id AND ({CHANGED}))"
        )
        run(
            "INSERT INTO abs_import_history (lead_id, from_stage, to_stage, changed_at, "
            "owner_id, forced) SELECT s.lead_id, l.stage, s.stage, ?, "
            "coalesce(s.owner_id, l.owner_id), 1 FROM abs_import_lead AS s CROSS JOIN lead AS l "
            "WHERE s.state = 'changed' AND l.id = s.lead_id AND s.stage IS NOT NULL "
            "AND s.stage != l.stage ORDER BY s.seq",
            (stamp,),
        )
        run(
            "INSERT OR IGNORE INTO abs_import_touched SELECT s.lead_id "
            "FROM abs_import_lead AS s CROSS JOIN lead AS l WHERE s.state = 'changed' "
            "AND l.id = s.lead_id AND s.created_at IS NOT NULL AND s.created_at IS NOT l.created_at"
        )
        mark_leads(conn, CHANGED_LEADS)  # their creation months before the update
        run(
            f"UPDATE lead SET {UPDATED}, updated_at = ?, stage_changed_at = CASE "
            "WHEN s.stage IS NOT NULL AND s.stage != lead.stage THEN ? "
            "ELSE lead.stage_changed_at END "
            "FROM abs_import_lead AS s WHERE s.state = 'changed' AND lead.id = s.lead_id",
            (stamp, stamp),
        )
        columns = ", ".join(INSERTED)
        run(
            f"INSERT INTO lead (id, {columns}, account_id, owner_id, inbound, stage, "
            "created_at, stage_changed_at, updated_at) "
            f"SELECT lead_id, {columns}, account_id, owner_id, coalesce(inbound, 0), "
            "coalesce(stage, 'prospect'), coalesce(created_at, ?1), coalesce(created_at, ?1), ?1 "
            "FROM abs_import_lead WHERE state = 'new' ORDER BY seq",
            (stamp,),
        )
        run(
            "INSERT INTO abs_import_history (lead_id, from_stage, to_stage, changed_at, "
            "owner_id, forced) SELECT lead_id, NULL, coalesce(stage, 'prospect'), "
            "coalesce(created_at, ?), owner_id, 0 FROM abs_import_lead "
            "WHERE state = 'new' ORDER BY seq",
            (stamp,),
        )
        mark_leads(conn, WRITTEN_LEADS)
        counts: dict[str, int] = {
            state: count
            for state, count in run(
                "SELECT coalesce(state, ''), count(*) FROM abs_import_lead GROUP BY 1"
            )
        }
        result.inserted = counts.get("new", 0)
        result.updated = counts.get("changed", 0)
        result.unchanged = counts.get("", 0)
        return result

    def _external_ids(self, result: BatchRows) -> None:
        """Leads found by external id; conflicting rows are rejected (see `write_leads`)."""
        run = self.conn.exec_driver_sql
        run(
            "UPDATE abs_import_lead SET ext_id = "
            "(SELECT id FROM lead WHERE lead.external_id = abs_import_lead.external_id) "
            "WHERE external_id IS NOT NULL AND state IS NULL"
        )
        run(
            "UPDATE abs_import_lead SET state = 'belongs' "
            "WHERE state IS NULL AND lead_id IS NOT NULL AND ext_id IS NOT NULL "
            "AND ext_id != lead_id"
        )
        run(
            "UPDATE abs_import_lead SET lead_id = ext_id "
            "WHERE state IS NULL AND lead_id IS NULL AND ext_id IS NOT NULL"
        )
        run(
            "UPDATE abs_import_lead SET state = 'twice' WHERE state IS NULL AND lead_id IS NULL "
            "AND external_id IS NOT NULL AND EXISTS (SELECT 1 FROM abs_import_lead AS e "
            "WHERE e.external_id = abs_import_lead.external_id AND e.seq < abs_import_lead.seq "
            "AND e.state IS NULL AND e.lead_id IS NULL)"
        )
        for seq, state, external_id, cells in run(
            "SELECT s.seq, s.state, s.external_id, f.cells FROM abs_import_lead AS s "
            "JOIN abs_import_file AS f ON f.seq = s.seq "
            "WHERE s.state IN ('belongs', 'twice') ORDER BY s.seq"
        ):
            if state == "belongs":
                reason = f"external_id {external_id!r} belongs to another lead"
            else:
                reason = f"external_id {external_id!r} is given to two e-mails in the file"
            result.rejects.append((seq, pickle.loads(cells), reason))


DOMAIN, OWNER, SOURCE = SLOT["domain"], SLOT["owner"], SLOT["source"]
STORED_SLOTS = tuple(SLOT[name] for name in STORED_FIELDS)
