"""Undo a change set: `abs imports revert ID` and `abs leads unmerge ID`.

Rows the change set created are deleted, rows it updated get their previous values
back, rows it deleted come back, all from the journal (`abs_cli.store.journal`), with
one statement per table and action. Derived data follows: the stage stays of the leads
concerned are replayed and the KPI rollup months they fed are marked stale, so the KPIs
after a revert are the KPIs before the change.

A revert is refused, with the reason, when a later change depends on the change set:
a row it wrote was changed since (by a later import, an edit, a pipeline move…), or a
row it created is referenced by a row written since (an activity of a new lead…).
Revert the later change first, or leave both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, exists, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from abs_cli.errors import InputError, NotFoundError
from abs_cli.imports.log import ChangeEntry, change_set, get_change
from abs_cli.store import tables
from abs_cli.store.engine import WRITE_OPTION, Store
from abs_cli.store.journal import (
    JOURNALED,
    change_row,
    changed_since,
    image_value,
    plan_undo,
    restore_rows,
    undo_table,
)
from abs_cli.store.marks import mark_activities, mark_everything, mark_leads, mark_stays
from abs_cli.store.stays import refresh_stays
from abs_cli.values import now

CASCADED = ("lead_score",)
"""Rows that follow their lead: a lead the revert deletes loses its score (recomputed by
`abs leads score`) rather than blocking the revert."""
ROLLUP_SOURCES = ("subscription", "usage_event")
"""Tables whose rows feed rollups no lead-level mark reaches (MRR, usage): a revert
touching them marks every rollup month stale, as does one that restores accounts or
reps (their owners and roles group the revenue and team figures)."""
CHUNK = 5_000
SHOWN_KEYS = {"lead": ("email", "external_id"), "account": ("domain",), "rep": ("email",)}


@dataclass(frozen=True)
class RevertResult:
    """What a revert did, per action."""

    change: ChangeEntry
    deleted: int
    restored: int
    reinserted: int

    def document(self) -> dict[str, Any]:
        return {
            "id": self.change.id,
            "kind": self.change.kind,
            "subject": self.change.subject,
            "source": self.change.source,
            "deleted": self.deleted,
            "restored": self.restored,
            "reinserted": self.reinserted,
        }


def _label(kind: str, change_id: int) -> str:
    return f"{kind} #{change_id}"


def revert_change(store: Store, change_id: int, *, kind: str | None = None) -> RevertResult:
    """Undo change set `change_id` in one transaction (see the module docstring).
    `kind` restricts what may be undone (`merge` for `abs leads unmerge`).

    Raises:
        NotFoundError: no such change set (of that kind).
        InputError: already reverted, still running, or a later change depends on it.
    """
    with store.engine.connect() as raw:
        return _revert(raw.execution_options(**{WRITE_OPTION: True}), change_id, kind)


def _revert(connection: Connection, change_id: int, kind: str | None) -> RevertResult:
    with connection.begin():
        change = get_change(connection, change_id)
        noun = kind or "change"
        if change is None or (kind is not None and change.kind != kind):
            raise NotFoundError(
                f"no {noun} #{change_id}", hint="`abs imports list` shows the recorded changes"
            )
        label = _label(change.kind, change.id)
        if change.status == "reverted":
            when = f"{change.reverted_at:%Y-%m-%d %H:%M}" if change.reverted_at else "before"
            raise InputError(f"{label} was already reverted ({when})")
        if change.status == "running":
            raise InputError(
                f"{label} is still running", hint="revert it once it has finished or failed"
            )
        undo = undo_table()
        plan_undo(connection, undo, change.id)
        try:
            _refuse_if_depended_on(connection, undo, change)
            result = _apply(connection, undo, change)
        except IntegrityError as error:
            raise InputError(
                f"{label} cannot be reverted: a row written since still refers to what it wrote",
                hint="revert the later changes first (`abs imports list`)",
            ) from error
        finally:
            undo.drop(connection, checkfirst=True)
        connection.execute(
            update(change_set)
            .where(change_set.c.id == change.id)
            .values(status="reverted", reverted_at=now())
        )
        connection.execute(delete(change_row).where(change_row.c.change_id == change.id))
    return result


def _tables_in(connection: Connection, undo: Table) -> list[str]:
    named = {row[0] for row in connection.execute(select(undo.c.table_name).distinct())}
    return [table.name for table in tables.lead.metadata.sorted_tables if table.name in named]


def _refuse_if_depended_on(connection: Connection, undo: Table, change: ChangeEntry) -> None:
    label = _label(change.kind, change.id)
    for table in _tables_in(connection, undo):
        changed = changed_since(connection, table, limit=1)
        if changed:
            row_id, image = changed[0]
            by = _changed_by(connection, table, row_id, change.id)
            raise InputError(
                f"{label} cannot be reverted: {_describe(table, row_id, image)} was changed "
                f"after it, {by}",
                hint="revert the later change first, or keep both",
            )
    for table in _tables_in(connection, undo):
        for child, column in _references_to(table):
            if child.name in CASCADED:
                continue
            found = _first_reference(connection, undo, table, child, column)
            if found is not None:
                row_id, count = found
                image = connection.execute(
                    select(undo.c.last_new).where(
                        undo.c.table_name == table, undo.c.row_id == row_id
                    )
                ).scalar_one()
                rows = "row" if count == 1 else "rows"
                raise InputError(
                    f"{label} cannot be reverted: {_describe(table, row_id, image)}, which it "
                    f"created, has {count} {child.name} {rows} written after it",
                    hint="revert the later change first, or keep both",
                )


def _references_to(table: str) -> list[tuple[Table, str]]:
    """(child table, column) pairs of every journaled foreign key to `table`."""
    found = []
    for child in tables.lead.metadata.sorted_tables:
        if child.name not in JOURNALED:
            continue
        for key in child.foreign_keys:
            if key.column.table.name == table:
                found.append((child, key.parent.name))
    return found


def _first_reference(
    connection: Connection, undo: Table, table: str, child: Table, column: str
) -> tuple[int, int] | None:
    """A row the plan deletes from `table` that a row of `child` outside the plan's
    deletions still references, with how many such rows; None when there is none."""
    key = child.c[JOURNALED[child.name]]
    deleted_parent = select(undo.c.row_id).where(
        undo.c.table_name == table, undo.c.action == "delete"
    )
    also_deleted = exists().where(
        undo.c.table_name == child.name,
        undo.c.row_id == key,
        undo.c.action.in_(("delete", "none")),
    )
    query = (
        select(child.c[column], func.count())
        .where(child.c[column].in_(deleted_parent), ~also_deleted)
        .group_by(child.c[column])
        .order_by(child.c[column])
        .limit(1)
    )
    row = connection.execute(query).first()
    return (int(row[0]), int(row[1])) if row is not None else None


def _changed_by(connection: Connection, table: str, row_id: int, change_id: int) -> str:
    """Which later change set touched the row, or that an unrecorded command did."""
    later = connection.execute(
        select(change_set.c.id, change_set.c.kind)
        .join(change_row, change_row.c.change_id == change_set.c.id)
        .where(
            change_row.c.table_name == table,
            change_row.c.row_id == row_id,
            change_set.c.id > change_id,
            change_set.c.status != "reverted",
        )
        .order_by(change_set.c.id)
        .limit(1)
    ).first()
    if later is not None:
        return f"by {later.kind} #{later.id}"
    return "by a command that records no change set (a pipeline move, scoring, routing…)"


def _describe(table: str, row_id: int, image: str) -> str:
    for name in SHOWN_KEYS.get(table, ()):
        value = image_value(image, name) if image else None
        if value:
            return f"{table} #{row_id} ({value})"
    return f"{table} #{row_id}"


def _affected_leads(connection: Connection, undo: Table) -> list[int]:
    """The leads whose stays or rollup months the revert may change: the lead rows in
    the plan, and the leads of its history, activity and other lead rows still stored."""
    ids = {
        int(row_id)
        for (row_id,) in connection.execute(
            select(undo.c.row_id).where(undo.c.table_name == "lead")
        )
    }
    for name in ("stage_history", "activity", "campaign_member", "nps_response"):
        table = tables.lead.metadata.tables[name]
        rows = select(table.c.lead_id).where(
            table.c.id.in_(select(undo.c.row_id).where(undo.c.table_name == name)),
            table.c.lead_id.is_not(None),
        )
        ids.update(int(lead_id) for (lead_id,) in connection.execute(rows))
    return sorted(ids)


def _activities(connection: Connection, undo: Table) -> list[tuple[int, str, Any]]:
    activity = tables.activity
    rows = select(activity.c.lead_id, activity.c.type, activity.c.occurred_at).where(
        activity.c.id.in_(select(undo.c.row_id).where(undo.c.table_name == "activity"))
    )
    return [(int(lead_id), kind, moment) for lead_id, kind, moment in connection.execute(rows)]


def _apply(connection: Connection, undo: Table, change: ChangeEntry) -> RevertResult:
    counts = {
        action: int(count)
        for action, count in connection.execute(
            select(undo.c.action, func.count()).group_by(undo.c.action)
        )
    }
    names = _tables_in(connection, undo)
    leads = _affected_leads(connection, undo)
    for start in range(0, len(leads), CHUNK):  # the months of the stays as they are now
        mark_stays(connection, leads[start : start + CHUNK])
    mark_leads(connection, leads)
    mark_activities(connection, _activities(connection, undo))
    score = tables.lead_score
    connection.execute(
        delete(score).where(
            score.c.lead_id.in_(
                select(undo.c.row_id).where(undo.c.table_name == "lead", undo.c.action == "delete")
            )
        )
    )
    for name in names:
        restore_rows(connection, name)
    for name in reversed(names):
        table = tables.lead.metadata.tables[name]
        connection.execute(
            delete(table).where(
                table.c[JOURNALED[name]].in_(
                    select(undo.c.row_id).where(
                        undo.c.table_name == name, undo.c.action == "delete"
                    )
                )
            )
        )
    refresh_stays(connection, leads)
    mark_leads(connection, leads)
    mark_activities(connection, _activities(connection, undo))
    regrouped = connection.execute(
        select(func.count()).where(
            undo.c.table_name.in_(("account", "rep")), undo.c.action.in_(("restore", "reinsert"))
        )
    ).scalar_one()
    if regrouped or any(name in ROLLUP_SOURCES for name in names):
        mark_everything(connection)
    return RevertResult(
        change,
        deleted=counts.get("delete", 0),
        restored=counts.get("restore", 0),
        reinserted=counts.get("reinsert", 0),
    )
