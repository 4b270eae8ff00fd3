"""`abs queue`: a rep's work list for today, ordered by breached SLA, score, then staleness."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from abs_cli.domain import INBOUND_SOURCES, STAGES, TOUCH_TYPES, lead_label
from abs_cli.enablement.checklists import next_unchecked
from abs_cli.enablement.playbook import Playbook
from abs_cli.pipeline.board import days_between, owner_filter, stale_condition
from abs_cli.pipeline.config import WorkflowConfig
from abs_cli.store.tables import activity, lead_score
from abs_cli.store.tables import lead as LEAD
from abs_cli.store.tables import rep as REP

NEXT_ACTION: dict[str, str] = {
    "prospect": "qualify: score the lead and book a meeting with an AE",
    "qualified": "hold the discovery meeting",
    "discovery": "schedule the demo",
    "demo": "send a proposal with the deal amount",
    "proposal": "follow up and open the negotiation",
    "negotiation": "get the contract signed",
    "customer": "check onboarding and adoption; ask for a referral",
}


def inbound_condition() -> ColumnElement[bool]:
    """Inbound leads: flagged so on import, or from an inbound source (any case)."""
    return or_(LEAD.c.inbound.is_(True), func.lower(LEAD.c.source).in_(INBOUND_SOURCES))


def speed_to_lead_breach(config: WorkflowConfig, now: datetime) -> ColumnElement[bool]:
    """An inbound lead in steps 1–2 not touched within the speed-to-lead SLA."""
    touched = exists().where(
        activity.c.lead_id == LEAD.c.id,
        activity.c.type.in_(TOUCH_TYPES),
        activity.c.occurred_at <= now,
    )
    deadline = now - timedelta(minutes=config.speed_to_lead_minutes)
    return and_(
        inbound_condition(),
        LEAD.c.stage.in_(("prospect", "qualified")),
        LEAD.c.created_at < deadline,
        ~touched,
    )


def work_queue(
    session: Session,
    config: WorkflowConfig,
    *,
    now: datetime,
    rep: str | None = None,
    role: str | None = None,
    limit: int | None = 50,
    playbook: Playbook | None = None,
) -> list[dict[str, Any]]:
    """Open leads (and a CS's customers) in priority order, with the next action for each
    and, given a playbook, the first item of the step's checklist not yet ticked."""
    late_touch = speed_to_lead_breach(config, now)
    stale = stale_condition(config, now)
    breached = case((or_(late_touch, stale), 1), else_=0)
    next_due = (
        select(func.min(activity.c.due_at))
        .where(activity.c.lead_id == LEAD.c.id, activity.c.due_at > now)
        .scalar_subquery()
    )
    query = (
        select(
            LEAD.c.id,
            LEAD.c.email,
            LEAD.c.external_id,
            LEAD.c.stage,
            LEAD.c.stage_changed_at,
            LEAD.c.created_at,
            REP.c.email.label("owner"),
            lead_score.c.score,
            case((late_touch, literal(True)), else_=literal(False)).label("late_touch"),
            case((stale, literal(True)), else_=literal(False)).label("stale"),
            next_due.label("next_due"),
        )
        .select_from(
            LEAD.outerjoin(REP, REP.c.id == LEAD.c.owner_id).outerjoin(
                lead_score, lead_score.c.lead_id == LEAD.c.id
            )
        )
        .where(LEAD.c.stage.in_(STAGES), owner_filter(session, rep, role))
        .order_by(
            breached.desc(),
            func.coalesce(lead_score.c.score, -1).desc(),
            LEAD.c.stage_changed_at,
            LEAD.c.id,
        )
        .limit(limit)
    )
    rows = []
    found = session.execute(query).all()
    unchecked = (
        next_unchecked(session, playbook, ((row.id, row.stage) for row in found))
        if playbook is not None
        else {}
    )
    for rank, row in enumerate(found, start=1):
        sla = ""
        if row.late_touch:
            late = (now - row.created_at).total_seconds() / 3600 - config.speed_to_lead_minutes / 60
            sla = f"speed-to-lead breached by {late:.1f} h"
        elif row.stale:
            over = days_between(row.stage_changed_at, now) - (config.max_days[row.stage] or 0)
            sla = f"{row.stage} over its limit by {over:.1f} d"
        rows.append(
            {
                "rank": rank,
                "lead": lead_label(row.email, row.external_id, row.id),
                "stage": row.stage,
                "owner": row.owner,
                "sla": sla or None,
                "score": row.score,
                "days_in_stage": days_between(row.stage_changed_at, now),
                "next_due": row.next_due,
                "next_action": next_action(row.stage, bool(row.late_touch), row.next_due),
                "next_item": unchecked[row.id].id if row.id in unchecked else None,
            }
        )
    return rows


def next_action(stage: str, late_touch: bool, next_due: datetime | None) -> str:
    """What the owner should do next with a lead."""
    if late_touch:
        return "call now: first touch is overdue"
    action = NEXT_ACTION[stage]
    return f"{action} (planned activity due)" if next_due is not None else action
