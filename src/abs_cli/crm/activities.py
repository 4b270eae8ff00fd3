"""Sales activities and marketing touches on leads: logging one, listing them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.crm.lookup import find_lead_id, lead_label
from abs_cli.crm.team import find_rep
from abs_cli.domain import ACTIVITY_TYPES
from abs_cli.errors import InputError
from abs_cli.store.marks import mark_activities
from abs_cli.store.models import Activity, Lead, Rep
from abs_cli.values import iso


def parse_activity_type(value: str) -> str:
    kind = value.strip().lower()
    if kind not in ACTIVITY_TYPES:
        raise InputError(
            f"activity type {value!r} is not one of {', '.join(ACTIVITY_TYPES)}",
        )
    return kind


def log_activity(
    session: Session,
    lead: str,
    kind: str,
    *,
    at: datetime,
    rep: str | None = None,
    outcome: str | None = None,
    notes: str | None = None,
    due: datetime | None = None,
) -> dict[str, Any]:
    """Record one activity; `due` makes it a planned one (it keeps a lead from going stale)."""
    lead_id = find_lead_id(session, lead)
    kind = parse_activity_type(kind)
    rep_row = find_rep(session, rep) if rep else None
    duplicate = select(col(Activity.id)).where(
        col(Activity.lead_id) == lead_id,
        col(Activity.type) == kind,
        col(Activity.occurred_at) == at,
    )
    if session.scalar(duplicate) is not None:
        raise InputError(
            f"lead {lead.strip()} already has a {kind} at {iso(at)}",
            hint="pass another --at",
        )
    row = Activity(
        lead_id=lead_id,
        rep_id=rep_row.id if rep_row else None,
        type=kind,
        occurred_at=at,
        outcome=(outcome or "").strip() or None,
        notes=notes,
        due_at=due,
    )
    session.add(row)
    session.flush()
    mark_activities(session, [(lead_id, kind, at)])
    return {"lead": lead.strip(), "type": kind, "occurred_at": at, "due_at": due}


def list_activities(
    session: Session,
    *,
    lead: str | None = None,
    rep: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    planned: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Activities, newest first, filtered by lead, rep, type, time range or planned only."""
    query: Select[*tuple[Any, ...]] = (
        select(
            col(Activity.occurred_at),
            col(Activity.type),
            col(Activity.outcome),
            col(Activity.due_at),
            col(Activity.notes),
            col(Lead.id).label("lead_id"),
            col(Lead.email),
            col(Lead.external_id),
            col(Rep.email).label("rep"),
        )
        .join(Lead, col(Lead.id) == col(Activity.lead_id))
        .outerjoin(Rep, col(Rep.id) == col(Activity.rep_id))
        .order_by(col(Activity.occurred_at).desc(), col(Activity.id).desc())
        .limit(limit)
    )
    if lead:
        query = query.where(col(Activity.lead_id) == find_lead_id(session, lead))
    if rep:
        query = query.where(col(Activity.rep_id) == find_rep(session, rep).id)
    if kind:
        query = query.where(col(Activity.type) == parse_activity_type(kind))
    if since:
        query = query.where(col(Activity.occurred_at) >= since)
    if until:
        query = query.where(col(Activity.occurred_at) < until)
    if planned:
        query = query.where(col(Activity.due_at).is_not(None))
    return [
        {
            "occurred_at": row.occurred_at,
            "lead": lead_label(row.email, row.external_id, row.lead_id),
            "type": row.type,
            "outcome": row.outcome,
            "rep": row.rep,
            "due_at": row.due_at,
            "notes": row.notes,
        }
        for row in session.execute(query)
    ]
