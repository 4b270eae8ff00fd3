"""Marks on the KPI rollups: which months' figures a write has changed.

Every writer of the rows the rollups aggregate calls one of these in its own transaction,
set-based (one statement per batch, never per row): the report then rebuilds, or reads
around, those months (`abs_cli.kpi.rollups`). The parts, and what marks them:

- `moves`: the months in which changed stage stays begin (wins, losses, time in step,
  open deals), marked by `abs_cli.store.stays` for every lead whose stays it rewrites;
- `cohort`: the creation months of leads whose history or creation changed (the funnel);
- `speed`: the creation months of leads whose creation or source changed, or of inbound
  leads that got a touch (speed-to-lead);
- `activity`: the months of the activities written (team activity);
- `usage`: the months of the usage events written (MAU, DAU, new users, features);
- `revenue`: the start months of the subscriptions written, and the first month of
  every account whose owner changed (MRR movements per account owner).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import String, delete, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.domain import INBOUND_SOURCES, TOUCH_TYPES
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_built, kpi_stale
from abs_cli.store.sql import month_key, upsert

CHUNK = 5_000


def _connection(conn: Connection | Session) -> Connection:
    return conn.connection() if isinstance(conn, Session) else conn


def mark(conn: Connection | Session, part: str, months: Select[Any]) -> None:
    """Mark stale, for `part`, every month `months` selects (one column of `YYYY-MM`)."""
    connection = _connection(conn)
    inner = months.subquery("months")
    month = inner.c[0]
    rows = select(literal(part, String).label("part"), month).where(month.is_not(None)).distinct()
    connection.execute(
        _upsert(connection, lambda insert: insert.from_select(["part", "month"], rows))
    )


def mark_months(conn: Connection | Session, part: str, months: Iterable[str | None]) -> None:
    """Mark stale the given month keys (duplicates and None ignored)."""
    keys = sorted({month for month in months if month})
    if keys:
        connection = _connection(conn)
        connection.execute(
            _upsert(connection, lambda insert: insert),
            [{"part": part, "month": key} for key in keys],
        )


def _upsert(connection: Connection, rows: Callable[[Any], Any]) -> Any:
    """INSERT INTO kpi_stale … ON CONFLICT DO UPDATE, the rows given by `rows(insert)`.

    The upsert touches an existing mark rather than skipping it: on PostgreSQL its row
    lock makes a report that is claiming the marks wait for this transaction, so no
    write slips unmarked between that report's claim and its rebuild.
    """
    statement = rows(upsert(connection, kpi_stale))
    return statement.on_conflict_do_update(
        index_elements=["part", "month"], set_={"part": statement.excluded.part}
    )


def mark_moments(conn: Connection | Session, part: str, moments: Iterable[Any]) -> None:
    """Mark stale the months of the given datetimes."""
    mark_months(conn, part, (f"{moment:%Y-%m}" for moment in moments if moment is not None))


def mark_leads(conn: Connection | Session, lead_ids: Iterable[int] | Select[Any]) -> None:
    """The creation months of these leads: their funnel cohort and speed-to-lead."""
    lead = tables.lead.c
    for chosen in _id_chunks(lead_ids):
        months = select(month_key(lead.created_at)).where(lead.id.in_(chosen))
        for part in ("cohort", "speed"):
            mark(conn, part, months)


def mark_stays(conn: Connection | Session, lead_ids: list[int] | Select[Any]) -> None:
    """The months in which these leads' stays begin (`moves`) and the leads' creation
    month (`cohort`), after their stays were rewritten.

    Once is enough: a stay begins at its history row, and history rows are only ever
    added, so the rewritten stays begin in every month the old ones did."""
    stay, lead = tables.stage_stay.c, tables.lead.c
    mark(conn, "moves", select(month_key(stay.entered_at)).where(stay.lead_id.in_(lead_ids)))
    mark(conn, "cohort", select(month_key(lead.created_at)).where(lead.id.in_(lead_ids)))


def mark_activities(conn: Connection | Session, activities: Iterable[tuple[int, str, Any]]) -> None:
    """Activities written, as (lead id, type, occurred_at): the team activity of their
    months; and, for a touch (a call, an e-mail…) on an inbound lead, the speed-to-lead
    of the lead's creation month."""
    written = list(activities)
    mark_moments(conn, "activity", (moment for _, _, moment in written))
    lead = tables.lead.c
    touched = {lead_id for lead_id, kind, _ in written if kind in TOUCH_TYPES}
    for chosen in _id_chunks(touched):
        mark(
            conn,
            "speed",
            select(month_key(lead.created_at)).where(
                lead.id.in_(chosen), func.lower(lead.source).in_(INBOUND_SOURCES)
            ),
        )


def mark_owners(conn: Connection | Session, domains: list[str]) -> None:
    """These accounts changed owner: the revenue per owner from their first subscription."""
    account, subscription = tables.account.c, tables.subscription.c
    for start in range(0, len(domains), CHUNK):
        chosen = select(account.id).where(account.domain.in_(domains[start : start + CHUNK]))
        first = select(month_key(func.min(subscription.started_at))).where(
            subscription.account_id.in_(chosen)
        )
        mark(conn, "revenue", first)


def mark_everything(conn: Connection | Session) -> None:
    """Forget every built rollup month (after `abs db rebuild`, or a full stays refresh)."""
    _connection(conn).execute(delete(kpi_built))


def _id_chunks(lead_ids: Iterable[int] | Select[Any]) -> Iterable[Any]:
    if isinstance(lead_ids, Select):
        yield lead_ids
        return
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
