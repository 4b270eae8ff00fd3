"""`stage_stay`: the stage history replayed once, kept beside it.

`stage_history` stays the source of truth (`abs pipeline history` shows it). Every writer
of history rows calls `refresh_stays` with the leads it touched, in the same transaction
(which also marks the KPI rollups of the months concerned stale, `abs_cli.store.marks`);
the KPI queries then read stays by range (`entered_at`, `left_at`) instead of replaying
each lead's history with window functions on every report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from abs_cli.store import tables
from abs_cli.store.marks import mark, mark_everything, mark_stays
from abs_cli.store.sql import month_key

CHUNK = 5_000
HISTORY = tables.stage_history
STAY = tables.stage_stay
COLUMNS = (
    "history_id",
    "lead_id",
    "stage",
    "entered_at",
    "left_at",
    "changed",
    "from_stage",
    "stay_started_at",
    "rep_id",
    "amount",
)


def stay_rows(lead_ids: list[int] | None = None, *, by_time: bool = False) -> Any:
    """SELECT of the `stage_stay` rows of the given leads (all leads when None).

    Three window passes over each lead's history in (changed_at, id) order: the previous
    row's stage, the next row's time and how many amounts were given so far; then the
    amount of that last given one; then when the stay each change ends began.
    """
    h = HISTORY.c
    window: dict[str, Any] = {"partition_by": h.lead_id, "order_by": (h.changed_at, h.id)}
    first = select(
        h.id,
        h.lead_id,
        h.to_stage,
        h.changed_at,
        h.rep_id,
        type_coerce(h.amount, BigInteger).label("amount"),
        tables.lead.c.created_at,
        func.lag(h.to_stage).over(**window).label("lag_stage"),
        func.lead(h.changed_at).over(**window).label("left_at"),
        func.row_number().over(**window).label("rn"),
        func.count(h.amount).over(**window, rows=(None, 0)).label("given"),
    ).join(tables.lead, tables.lead.c.id == h.lead_id)
    if lead_ids is not None:
        first = first.where(h.lead_id.in_(lead_ids))
    f = first.cte("stay_first").c
    previous = case(
        (f.rn == 1, case((f.changed_at >= f.created_at, literal("prospect")), else_=None)),
        else_=f.lag_stage,
    )
    changed = case((or_(previous.is_(None), previous != f.to_stage), 1), else_=0)
    second = select(
        f.id,
        f.lead_id,
        f.to_stage,
        f.changed_at,
        f.left_at,
        f.rep_id,
        f.created_at,
        previous.label("previous"),
        changed.label("changed"),
        func.max(f.amount).over(partition_by=(f.lead_id, f.given)).label("running"),
    ).cte("stay_second")
    s = second.c
    began = func.max(case((s.changed == 1, s.changed_at))).over(
        partition_by=s.lead_id, order_by=(s.changed_at, s.id), rows=(None, -1)
    )
    rows = select(
        s.id,
        s.lead_id,
        s.to_stage,
        s.changed_at,
        s.left_at,
        type_coerce(s.changed, Integer) == 1,
        s.previous,
        func.coalesce(began, s.created_at),
        s.rep_id,
        s.running,
    )
    return rows.order_by(s.changed_at, s.id) if by_time else rows


def refresh_stays(
    connection: Connection | Session,
    lead_ids: Iterable[int] | None = None,
    *,
    rollups: bool = True,
) -> None:
    """Recompute the stays of `lead_ids` (of every lead when None) from their history,
    and mark the KPI rollups they feed stale (`rollups=False`: a store older than them).

    Rows go in in time order, so that a month's stays sit together on disk and a batch
    of them reaches the (entered_at, history_id) key as one sweep, not random probes.
    """
    if lead_ids is None:
        connection.execute(STAY.delete())
        connection.execute(insert(STAY).from_select(COLUMNS, stay_rows(by_time=True)))
        if rollups:
            mark_everything(connection)
        return
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        connection.execute(STAY.delete().where(STAY.c.lead_id.in_(part)))
        connection.execute(insert(STAY).from_select(COLUMNS, stay_rows(part, by_time=True)))
        mark_stays(connection, part)


def insert_first_stays(connection: Connection | Session, created: Any, after: int = 0) -> None:
    """Write the stays of new leads whose one history row is their creation.

    `created` selects (lead_id, changed_at, to_stage) of those rows, each lead's only
    row, dated at the lead's `created_at`. For such a lead `stay_rows` yields one row
    (entered from `prospect`, begun at its creation, still open); this writes that row
    straight from the history, without the window passes, which a bulk import of new
    leads would otherwise pay for every lead. `tests/test_kpi_stays.py` holds both ways
    equal.

    `after`: an id below those of the rows `created` names (the largest history id before
    they were written), so that the join reads the new rows only. Without it PostgreSQL
    hashed the whole history, grown by every transaction of the import before (its
    statistics, taken when it was small, hide that): each transaction of a million-lead
    import took longer than the one before.
    """
    h = HISTORY.c
    first = created.subquery("created")
    rows = (
        select(
            h.id,
            h.lead_id,
            h.to_stage,
            h.changed_at,
            null(),
            h.to_stage != "prospect",
            literal("prospect"),
            h.changed_at,
            h.rep_id,
            h.amount,
        )
        .join(
            first,
            (h.lead_id == first.c.lead_id)
            & (h.changed_at == first.c.changed_at)
            & (h.to_stage == first.c.to_stage),
        )
        .where(h.id > after)
        .order_by(h.changed_at, h.id)
    )
    connection.execute(insert(STAY).from_select(COLUMNS, rows))
    for part in ("moves", "cohort"):  # a first stay begins at its lead's creation
        mark(connection, part, select(month_key(first.c.changed_at)))


def count_stays(connection: Connection | Session) -> int:
    return int(connection.execute(select(func.count()).select_from(STAY)).scalar_one())
