"""Whom to call first: open leads at steps 1-2 by their stored score."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.store.models import Lead, LeadScore, Rep

CALL_STAGES = ("prospect", "qualified")
READINESS_ORDER = {"sql": 0, "mql": 1, "none": 2}


def top_leads(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The best-scored open leads still with an SDR or IR, best first."""
    name = func.trim(
        func.coalesce(col(Lead.first_name), "") + " " + func.coalesce(col(Lead.last_name), "")
    )
    query = (
        select(
            col(Lead.email),
            name.label("name"),
            col(Lead.title),
            col(Lead.company),
            col(Lead.stage),
            col(Rep.email).label("owner"),
            col(LeadScore.score),
            col(LeadScore.grade),
            col(LeadScore.level),
            col(LeadScore.readiness),
        )
        .join(LeadScore, col(LeadScore.lead_id) == col(Lead.id))
        .outerjoin(Rep, col(Rep.id) == col(Lead.owner_id))
        .where(col(Lead.stage).in_(CALL_STAGES), col(Lead.forgotten_at).is_(None))
        .order_by(col(LeadScore.score).desc(), col(Lead.id))
        .limit(limit)
    )
    return [
        {**row._asdict(), "name": row.name or None, "rating": f"{row.grade}{row.level}"}
        for row in session.execute(query)
    ]
