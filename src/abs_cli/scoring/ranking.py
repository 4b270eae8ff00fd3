"""Whom to call first: open leads at steps 1-2 by their stored score."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from abs_cli.store.models import Lead, LeadScore, Rep

CALL_STAGES = ("prospect", "qualified")
READINESS_ORDER = {"sql": 0, "mql": 1, "none": 2}


def top_leads(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The best-scored open leads still with an SDR or IR, best first."""
    name = func.trim(func.coalesce(Lead.first_name, "") + " " + func.coalesce(Lead.last_name, ""))
    query = (
        select(
            Lead.email,
            name.label("name"),
            Lead.title,
            Lead.company,
            Lead.stage,
            Rep.email.label("owner"),
            LeadScore.score,
            LeadScore.grade,
            LeadScore.level,
            LeadScore.readiness,
        )
        .join(LeadScore, LeadScore.lead_id == Lead.id)
        .outerjoin(Rep, Rep.id == Lead.owner_id)
        .where(Lead.stage.in_(CALL_STAGES), Lead.forgotten_at.is_(None))
        .order_by(LeadScore.score.desc(), Lead.id)
        .limit(limit)
    )
    return [
        {**row._asdict(), "name": row.name or None, "rating": f"{row.grade}{row.level}"}
        for row in session.execute(query)
    ]
