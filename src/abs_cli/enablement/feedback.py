"""Field feedback: what reps send up from a step (objections, complaints, product gaps),
tagged so that marketing and product can act on it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from abs_cli.crm.lookup import find_lead_id
from abs_cli.crm.team import find_rep
from abs_cli.domain import lead_label
from abs_cli.errors import InputError
from abs_cli.store.tables import feedback as FEEDBACK
from abs_cli.store.tables import lead as LEAD
from abs_cli.store.tables import rep as REP
from abs_cli.values import iso

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
DEFAULT_TAG = "other"
MAX_BODY = 4000


def parse_tag(value: str | None) -> str:
    """A tag: lowercase letters, digits, `_` or `-` (spaces become `-`), at most 40."""
    if value is None:
        return DEFAULT_TAG
    tag = value.strip().lower().replace(" ", "-")
    if not TAG_PATTERN.match(tag):
        raise InputError(
            f"tag {value!r} is not a tag (lowercase letters, digits, _ or -, at most 40)"
        )
    return tag


def add_feedback(
    session: Session,
    *,
    stage: str,
    body: str,
    rep: str | None,
    at: datetime,
    tag: str | None = None,
    lead: str | None = None,
) -> dict[str, Any]:
    """Record one piece of feedback from a rep at a step."""
    text = body.strip()
    if not text:
        raise InputError("the feedback text is empty")
    if len(text) > MAX_BODY:
        raise InputError(f"the feedback text has {len(text):,} characters; at most {MAX_BODY:,}")
    if not rep:
        raise InputError("feedback needs the rep who sends it", hint="pass --rep or set ABS_REP")
    rep_row = find_rep(session, rep)
    chosen_tag = parse_tag(tag)
    lead_id = find_lead_id(session, lead) if lead else None
    duplicate = select(FEEDBACK.c.id).where(
        FEEDBACK.c.rep_id == rep_row.id,
        FEEDBACK.c.created_at == at,
        FEEDBACK.c.stage == stage,
        FEEDBACK.c.tag == chosen_tag,
    )
    if session.execute(duplicate).first() is not None:
        raise InputError(
            f"{rep_row.email} already sent {chosen_tag} feedback on {stage} at {iso(at)}",
            hint="pass another --at",
        )
    session.execute(
        insert(FEEDBACK).values(
            stage=stage,
            tag=chosen_tag,
            body=text,
            rep_id=rep_row.id,
            lead_id=lead_id,
            created_at=at,
        )
    )
    return {"stage": stage, "tag": chosen_tag, "rep": rep_row.email, "created_at": at}


def list_feedback(
    session: Session,
    *,
    stage: str | None = None,
    tag: str | None = None,
    rep: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Feedback, newest first, filtered by step, tag, rep and time range [since, until)."""
    query = (
        select(
            FEEDBACK.c.created_at,
            FEEDBACK.c.stage,
            FEEDBACK.c.tag,
            FEEDBACK.c.body,
            REP.c.email.label("rep"),
            LEAD.c.id.label("lead_id"),
            LEAD.c.email.label("lead_email"),
            LEAD.c.external_id,
        )
        .select_from(
            FEEDBACK.join(REP, REP.c.id == FEEDBACK.c.rep_id).outerjoin(
                LEAD, LEAD.c.id == FEEDBACK.c.lead_id
            )
        )
        .order_by(FEEDBACK.c.created_at.desc(), FEEDBACK.c.id.desc())
        .limit(limit)
    )
    if stage:
        query = query.where(FEEDBACK.c.stage == stage)
    if tag:
        query = query.where(FEEDBACK.c.tag == parse_tag(tag))
    if rep:
        query = query.where(FEEDBACK.c.rep_id == find_rep(session, rep).id)
    if since:
        query = query.where(FEEDBACK.c.created_at >= since)
    if until:
        query = query.where(FEEDBACK.c.created_at < until)
    return [
        {
            "created_at": row.created_at,
            "stage": row.stage,
            "tag": row.tag,
            "rep": row.rep,
            "lead": (
                lead_label(row.lead_email, row.external_id, row.lead_id)
                if row.lead_id is not None
                else None
            ),
            "feedback": row.body,
        }
        for row in session.execute(query)
    ]
