"""The journal of change sets: what an import, an edit or a merge wrote, row by row.

While a change set runs, the database itself records every row inserted, updated or
deleted in a journaled table into `change_row`, with the row's images as JSON text
(`old` before, `new` after). Triggers do it, so every writer is covered — the generic
import writer, the set-based bulk writer, a COPY — without any of them knowing:

- SQLite: TEMP triggers created on the writing connection for the change set's
  duration (they see only that connection's writes) and dropped after;
- PostgreSQL: permanent triggers (migrations 0010 and 0013) that fire only while the
  session setting `abs.change_id` names a change set: one per statement for inserts and
  deletes, which journals all of the statement's rows at once from its transition
  table, one per row for updates.

A bulk writer may journal the rows it inserts itself, set-based, with the same images
(`insert_journal_paused`, `inserts_journaled`): on SQLite a statement then writes the
journal of all its rows at once instead of running the trigger per row (PostgreSQL's
statement triggers do that for every writer).

Undoing a change set (`abs_cli.imports.revert`) reads, per row, the first image before
and the last image after, and puts the store back with one statement per table and
action; the dialect-specific pieces of that (a row as JSON, a row from JSON) are here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func, select, text
from sqlalchemy.engine import Connection

from abs_cli.store import tables

JOURNALED: dict[str, str] = {
    "rep": "id",
    "account": "id",
    "lead": "id",
    "stage_history": "id",
    "activity": "id",
    "subscription": "id",
    "spend": "id",
    "nps_response": "id",
    "usage_event": "id",
    "campaign_member": "id",
    "ticket": "id",
    "goal": "id",
    "lead_score": "lead_id",
    "assignment_log": "id",
    "erasure_log": "id",
    "custom_field": "id",
    "lead_field_value": "id",
    "account_field_value": "id",
}
"""Every table a change set may write, with its one integer key column. Derived tables
(stage stays, rollups, their marks) are not journaled: they are recomputed."""

CHANGE_ID = "abs_change_id"
"""The key of `Connection.info` naming the change set a connection journals into, if any."""

change_row: Table = tables.change_row

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION abs_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change integer := nullif(current_setting('abs.change_id', true), '')::integer;
    old_image jsonb;
    new_image jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        new_image := to_jsonb(NEW);
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        VALUES (change, TG_TABLE_NAME, (new_image ->> TG_ARGV[0])::bigint, 'insert',
                NULL, new_image::text);
    ELSIF TG_OP = 'UPDATE' THEN
        old_image := to_jsonb(OLD);
        new_image := to_jsonb(NEW);
        IF old_image <> new_image THEN
            INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
            VALUES (change, TG_TABLE_NAME, (new_image ->> TG_ARGV[0])::bigint, 'update',
                    old_image::text, new_image::text);
        END IF;
    ELSE
        old_image := to_jsonb(OLD);
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        VALUES (change, TG_TABLE_NAME, (old_image ->> TG_ARGV[0])::bigint, 'delete',
                old_image::text, NULL);
    END IF;
    RETURN NULL;
END
$$
"""
"""Each row's image is built once (`to_jsonb` was called twice per image: for its key
and for its text), a fifth of the journal's cost on a bulk import
(migration 0012_journal_images)."""


PG_SET_FUNCTION = """
CREATE OR REPLACE FUNCTION abs_journal_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change integer := nullif(current_setting('abs.change_id', true), '')::integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        SELECT change, TG_TABLE_NAME, (image ->> TG_ARGV[0])::bigint, 'insert', NULL,
               image::text
        FROM (SELECT to_jsonb(inserted) AS image FROM abs_inserted AS inserted OFFSET 0)
             AS images;
    ELSE
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        SELECT change, TG_TABLE_NAME, (image ->> TG_ARGV[0])::bigint, 'delete',
               image::text, NULL
        FROM (SELECT to_jsonb(deleted) AS image FROM abs_deleted AS deleted OFFSET 0)
             AS images;
    END IF;
    RETURN NULL;
END
$$
"""
"""The journal of a whole INSERT or DELETE statement at once, from its transition table
(PostgreSQL 10+): one set-based insert into `change_row` per statement instead of a
PL/pgSQL call and a one-row insert per row, which made the journal most of a bulk
import's cost (migration 0013_journal_statements). The same rows and images, in the
order the statement wrote them (a transition table keeps it); `OFFSET 0` keeps the
planner from inlining the image, so each row's `to_jsonb` runs once.

UPDATE keeps the per-row trigger (`PG_FUNCTION`): an update's image before and after
would have to be paired across the two transition tables, and the one thing to pair them
by, the row's key, can change (a merge moves a lead's score to the kept lead)."""

PG_WHEN = "WHEN (nullif(current_setting('abs.change_id', true), '') IS NOT NULL)"
"""Every journal trigger fires only inside a change set."""


def pg_triggers(table: str, key: str) -> list[str]:
    """The journal triggers of one table on PostgreSQL: inserts and deletes per statement,
    updates per row (`PG_SET_FUNCTION`)."""
    on = f'ON "{table}"'
    return [
        f"CREATE TRIGGER abs_journal_insert AFTER INSERT {on} "
        f"REFERENCING NEW TABLE AS abs_inserted FOR EACH STATEMENT {PG_WHEN} "
        f"EXECUTE FUNCTION abs_journal_rows('{key}')",
        f"CREATE TRIGGER abs_journal_update AFTER UPDATE {on} FOR EACH ROW {PG_WHEN} "
        f"EXECUTE FUNCTION abs_journal('{key}')",
        f"CREATE TRIGGER abs_journal_delete AFTER DELETE {on} "
        f"REFERENCING OLD TABLE AS abs_deleted FOR EACH STATEMENT {PG_WHEN} "
        f"EXECUTE FUNCTION abs_journal_rows('{key}')",
    ]


def install_pg_triggers(connection: Connection) -> None:
    """Create the journal functions and triggers (a fresh PostgreSQL store)."""
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(PG_FUNCTION)
    connection.exec_driver_sql(PG_SET_FUNCTION)
    for table, key in JOURNALED.items():
        for statement in pg_triggers(table, key):
            connection.exec_driver_sql(statement)


def _sqlite_json(table: str, alias: str) -> str:
    columns = tables.lead.metadata.tables[table].c
    pairs = ", ".join(f"'{column.name}', {alias}.\"{column.name}\"" for column in columns)
    return f"json_object({pairs})"


def _insert_trigger(change_id: int, table: str) -> str:
    key, new = JOURNALED[table], _sqlite_json(table, "NEW")
    into = "INSERT INTO change_row (change_id, table_name, row_id, op, old, new) VALUES "
    return (
        f'CREATE TEMP TRIGGER IF NOT EXISTS "abs_journal_{table}_insert" AFTER INSERT ON '
        f"\"{table}\" BEGIN {into}({change_id}, '{table}', NEW.\"{key}\", 'insert', NULL, "
        f"{new}); END"
    )


def _sqlite_triggers(change_id: int) -> Iterator[str]:
    for table, key in JOURNALED.items():
        new, old = _sqlite_json(table, "NEW"), _sqlite_json(table, "OLD")
        into = "INSERT INTO change_row (change_id, table_name, row_id, op, old, new) VALUES "
        yield _insert_trigger(change_id, table)
        yield (
            f'CREATE TEMP TRIGGER "abs_journal_{table}_update" AFTER UPDATE ON "{table}" '
            f"WHEN {old} IS NOT {new} "
            f"BEGIN {into}({change_id}, '{table}', NEW.\"{key}\", 'update', {old}, {new}); END"
        )
        yield (
            f'CREATE TEMP TRIGGER "abs_journal_{table}_delete" AFTER DELETE ON "{table}" '
            f"BEGIN {into}({change_id}, '{table}', OLD.\"{key}\", 'delete', {old}, NULL); END"
        )


@contextmanager
def journaling(connection: Connection, change_id: int | None) -> Iterator[None]:
    """Record into change set `change_id` every journaled write made on `connection`
    until the block ends (`None`: record nothing, e.g. a dry run).

    The connection must not be inside a transaction: the triggers (SQLite) or the
    session setting (PostgreSQL) are set in one of their own.
    """
    if change_id is None:
        yield
        return
    sqlite = connection.dialect.name == "sqlite"
    with connection.begin():
        if sqlite:
            for statement in _sqlite_triggers(int(change_id)):
                connection.exec_driver_sql(statement)
            connection.info[CHANGE_ID] = int(change_id)
        else:
            connection.execute(
                text("SELECT set_config('abs.change_id', :change, false)"),
                {"change": str(int(change_id))},
            )
    connection.info[CHANGE_ID] = int(change_id)
    try:
        yield
    finally:
        connection.info.pop(CHANGE_ID, None)
        if connection.in_transaction():
            connection.rollback()
        with connection.begin():
            if sqlite:
                for table in JOURNALED:
                    for op in ("insert", "update", "delete"):
                        connection.exec_driver_sql(
                            f'DROP TRIGGER IF EXISTS temp."abs_journal_{table}_{op}"'
                        )
            else:
                connection.exec_driver_sql("SELECT set_config('abs.change_id', '', false)")


def insert_journal_paused(connection: Connection, names: tuple[str, ...]) -> int | None:
    """On SQLite inside a change set: drop the per-row insert triggers of the tables
    `names`, whose inserted rows the caller then journals itself (`inserts_journaled`
    around each statement), and return the change set's id. None elsewhere (nothing is
    journaled, or PostgreSQL, whose triggers stay)."""
    change_id: int | None = connection.info.get(CHANGE_ID)
    if change_id is None or connection.dialect.name != "sqlite":
        return None
    for table in names:
        connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS temp."abs_journal_{table}_insert"')
    return change_id


def insert_journal_resumed(
    connection: Connection, names: tuple[str, ...], change_id: int | None
) -> None:
    """Put back the insert triggers `insert_journal_paused` dropped."""
    if change_id is None or connection.info.get(CHANGE_ID) != change_id:
        return
    for table in names:
        connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS temp."abs_journal_{table}_insert"')
        connection.exec_driver_sql(_insert_trigger(change_id, table))


def _last_id(connection: Connection, table: str) -> int:
    """The largest key of `table` (0 when empty): the rows a statement inserts next are
    those above it (SQLite, one writer at a time)."""
    key = JOURNALED[table]
    found = connection.exec_driver_sql(f'SELECT max("{key}") FROM "{table}"').scalar()
    return int(found or 0)


def _journal_inserted(connection: Connection, change_id: int, table: str, after: int) -> None:
    """Journal, in key order, the rows of `table` above the key `after` as inserted by
    change set `change_id`: the rows and images the insert trigger would have written."""
    key = JOURNALED[table]
    connection.exec_driver_sql(
        "INSERT INTO change_row (change_id, table_name, row_id, op, old, new) "
        f"SELECT {int(change_id)}, '{table}', t.\"{key}\", 'insert', NULL, "
        f'{_sqlite_json(table, "t")} FROM "{table}" AS t WHERE t."{key}" > {int(after)} '
        f'ORDER BY t."{key}"'
    )


@contextmanager
def inserts_journaled(connection: Connection, change_id: int | None, table: str) -> Iterator[None]:
    """Around one statement inserting rows into `table` while its insert trigger is
    paused (`change_id` from `insert_journal_paused`): journal the rows it added, in key
    order, as the trigger would have. Nothing to do when `change_id` is None."""
    if change_id is None:
        yield
        return
    after = _last_id(connection, table)
    yield
    _journal_inserted(connection, change_id, table, after)


@contextmanager
def inserts_journaled_at_once(connection: Connection, table: str) -> Iterator[None]:
    """Within the block (one statement inserting many rows into `table`), the rows
    inserted are journaled by one statement at its end rather than by a trigger per row.

    Same journal rows, in the same order; but on SQLite the per-row trigger interleaves
    each row's JSON image with the table's index pages in the page cache, which doubled
    the time of a million-row insert. Only SQLite, inside a change set: elsewhere the
    triggers stay.
    """
    change_id = insert_journal_paused(connection, (table,))
    try:
        with inserts_journaled(connection, change_id, table):
            yield
    finally:
        insert_journal_resumed(connection, (table,), change_id)


def undo_table() -> Table:
    """The per-row plan of an undo, in a temporary table: for each (table, row) the
    change set touched, its first operation and image before, its last operation and
    image after, and the action that undoes it."""
    return Table(
        "abs_undo",
        MetaData(),
        Column("table_name", String(40), primary_key=True),
        Column("row_id", Integer, primary_key=True),
        Column("first_op", String(6)),
        Column("first_old", Text),
        Column("last_op", String(6)),
        Column("last_new", Text),
        Column("action", String(8)),
        prefixes=["TEMPORARY"],
    )


def plan_undo(connection: Connection, undo: Table, change_id: int) -> None:
    """Fill `undo` for change set `change_id`, set-based.

    Actions: `delete` a row the change set created; `restore` a row it updated (or
    deleted and something re-created) to its first image before; `reinsert` a row it
    deleted; `none` for a row it created and deleted again.
    """
    undo.drop(connection, checkfirst=True)
    undo.create(connection)
    journal = change_row.c
    grouped = (
        select(
            journal.table_name,
            journal.row_id,
            func.min(journal.seq).label("first_seq"),
            func.max(journal.seq).label("last_seq"),
        )
        .where(journal.change_id == change_id)
        .group_by(journal.table_name, journal.row_id)
        .subquery("grouped")
    )
    first, last = change_row.alias("first_row"), change_row.alias("last_row")
    rows = select(
        grouped.c.table_name,
        grouped.c.row_id,
        first.c.op,
        first.c.old,
        last.c.op,
        last.c.new,
    ).select_from(
        grouped.join(first, first.c.seq == grouped.c.first_seq).join(
            last, last.c.seq == grouped.c.last_seq
        )
    )
    connection.execute(
        undo.insert().from_select(
            ["table_name", "row_id", "first_op", "first_old", "last_op", "last_new"], rows
        )
    )
    connection.exec_driver_sql(
        "UPDATE abs_undo SET action = CASE "
        "WHEN first_op = 'insert' AND last_op = 'delete' THEN 'none' "
        "WHEN first_op = 'insert' THEN 'delete' "
        "WHEN last_op = 'delete' THEN 'reinsert' "
        "ELSE 'restore' END"
    )


def changed_since(connection: Connection, table: str, limit: int) -> list[tuple[int, str]]:
    """Rows of `table` the plan would delete or restore whose current state is not the
    change set's last image (someone changed them since), or that it would re-insert
    but exist again; as (row id, last image)."""
    key = JOURNALED[table]
    current = _row_json(connection, table, "t")
    stored = "u.last_new::jsonb" if connection.dialect.name == "postgresql" else "u.last_new"
    sql = (
        f'SELECT u.row_id, u.last_new FROM abs_undo u LEFT JOIN "{table}" t '
        f'ON t."{key}" = u.row_id '
        "WHERE u.table_name = :table AND ("
        f"(u.action IN ('delete', 'restore') AND (t.\"{key}\" IS NULL OR {current} <> {stored})) "
        f"OR (u.action = 'reinsert' AND t.\"{key}\" IS NOT NULL)) "
        "ORDER BY u.row_id LIMIT :limit"
    )
    found = connection.execute(text(sql), {"table": table, "limit": limit})
    return [(int(row_id), image or "{}") for row_id, image in found]


def _row_json(connection: Connection, table: str, alias: str) -> str:
    if connection.dialect.name == "postgresql":
        return f"to_jsonb({alias})"
    return _sqlite_json(table, alias)


def restore_rows(connection: Connection, table: str) -> None:
    """Put back the first image before of the rows the plan restores or re-inserts."""
    key = JOURNALED[table]
    columns = [column.name for column in tables.lead.metadata.tables[table].c]
    names = ", ".join(f'"{name}"' for name in columns)
    others = [name for name in columns if name != key]
    if connection.dialect.name == "postgresql":
        values = ", ".join(f'o."{name}"' for name in columns)
        image = f'jsonb_populate_record(NULL::"{table}", u.first_old::jsonb) o'
        connection.execute(
            text(
                f'INSERT INTO "{table}" ({names}) SELECT {values} FROM abs_undo u, {image} '
                "WHERE u.table_name = :table AND u.action = 'reinsert'"
            ),
            {"table": table},
        )
        if others:
            assigned = ", ".join(f'"{name}"' for name in others)
            taken = ", ".join(f'o."{name}"' for name in others)
            connection.execute(
                text(
                    f'UPDATE "{table}" t SET ({assigned}) = ({taken}) FROM abs_undo u, {image} '
                    "WHERE u.table_name = :table AND u.action = 'restore' "
                    f'AND t."{key}" = u.row_id'
                ),
                {"table": table},
            )
        return
    extracted = ", ".join(f"json_extract(u.first_old, '$.{name}')" for name in columns)
    connection.execute(
        text(
            f'INSERT INTO "{table}" ({names}) SELECT {extracted} FROM abs_undo u '
            "WHERE u.table_name = :table AND u.action = 'reinsert'"
        ),
        {"table": table},
    )
    if others:
        assigned = ", ".join(f'"{name}"' for name in others)
        taken = ", ".join(f"json_extract(u.first_old, '$.{name}')" for name in others)
        connection.execute(
            text(
                f'UPDATE "{table}" SET ({assigned}) = (SELECT {taken} FROM abs_undo u '
                f'WHERE u.table_name = :table AND u.row_id = "{table}"."{key}") '
                f'WHERE "{key}" IN (SELECT row_id FROM abs_undo '
                "WHERE table_name = :table AND action = 'restore')"
            ),
            {"table": table},
        )


def image_value(image: str, name: str) -> Any:
    """One column of a JSON row image (for messages)."""
    import json

    return json.loads(image).get(name) if image else None
