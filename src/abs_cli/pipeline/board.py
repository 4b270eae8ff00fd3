"""The pipeline at a glance: the board (per step) and the overdue leads, aggregated in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from abs_cli.domain import ROLES, STAGES, STEP_OF, lead_label
from abs_cli.errors import InputError, NotFoundError
from abs_cli.pipeline.config import DEFAULT_PROBABILITIES, WorkflowConfig
from abs_cli.store.tables import activity, rep, setting
from abs_cli.store.tables import lead as LEAD

PROBABILITY_SETTING = "probability."
"""Settings `probability.<stage>` override the built-in win probabilities; the file wins."""


def stage_probabilities(session: Session, config: WorkflowConfig) -> dict[str, Decimal]:
    """Win probability per step: built-in, then store settings, then the config file."""
    result = dict(DEFAULT_PROBABILITIES)
    stored = select(setting.c.key, setting.c.value).where(
        setting.c.key.like(PROBABILITY_SETTING + "%")
    )
    for key, value in session.execute(stored):
        stage = key.removeprefix(PROBABILITY_SETTING)
        if stage in STEP_OF:
            try:
                result[stage] = Decimal(value)
            except InvalidOperation:
                raise InputError(f"setting {key} = {value!r} is not a number") from None
    result.update(config.probabilities)
    return result


def owner_filter(session: Session, owner: str | None, role: str | None) -> ColumnElement[bool]:
    """The `--owner` / `--role` condition on leads (true when neither is given)."""
    conditions: list[ColumnElement[bool]] = []
    if owner:
        conditions.append(LEAD.c.owner_id == rep_id(session, owner))
    if role:
        chosen = role.strip().lower()
        if chosen not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
        conditions.append(LEAD.c.owner_id.in_(select(rep.c.id).where(rep.c.role == chosen)))
    return and_(true(), *conditions)


def rep_id(session: Session, key: str) -> int:
    """The id of the rep with this e-mail or exact name (as `team.find_rep`, but light)."""
    text = key.strip()
    found: int | None = session.scalar(
        select(rep.c.id).where(or_(rep.c.email == text.lower(), rep.c.name == text))
    )
    if found is None:
        raise NotFoundError(f"no rep {key!r} on the team", hint="see `abs team list`")
    return found


def board(
    session: Session,
    config: WorkflowConfig,
    *,
    now: datetime,
    owner: str | None = None,
    role: str | None = None,
    oldest: int = 3,
) -> list[dict[str, Any]]:
    """One entry per step: leads, total and weighted amount, and the oldest leads in it."""
    scope = owner_filter(session, owner, role)
    totals = {
        stage: (count, amount)
        for stage, count, amount in session.execute(
            select(LEAD.c.stage, func.count(), func.sum(LEAD.c.amount))
            .where(LEAD.c.stage.in_(STAGES), scope)
            .group_by(LEAD.c.stage)
        )
    }
    probabilities = stage_probabilities(session, config)
    owners = {key: email for key, email in session.execute(select(rep.c.id, rep.c.email))}
    columns = []
    for stage in STAGES:
        count, amount = totals.get(stage, (0, None))
        amount = amount if amount is not None else Decimal("0.00")
        # A step without leads in scope needs no search for its oldest (it would scan
        # the whole step when --owner/--role match nothing there).
        rows = (
            session.execute(
                select(
                    LEAD.c.id,
                    LEAD.c.email,
                    LEAD.c.external_id,
                    LEAD.c.stage_changed_at,
                    LEAD.c.owner_id,
                )
                .where(LEAD.c.stage == stage, scope)
                .order_by(LEAD.c.stage_changed_at, LEAD.c.id)
                .limit(oldest)
            ).all()
            if count
            else []
        )
        columns.append(
            {
                "step": STEP_OF[stage],
                "stage": stage,
                "leads": count,
                "amount": amount,
                "probability": probabilities[stage],
                "weighted_amount": amount * probabilities[stage],
                "oldest": [
                    {
                        "lead": lead_label(row.email, row.external_id, row.id),
                        "owner": owners.get(row.owner_id),
                        "since": row.stage_changed_at,
                        "days_in_stage": days_between(row.stage_changed_at, now),
                    }
                    for row in rows
                ],
            }
        )
    return columns


def days_between(start: datetime, end: datetime) -> float:
    """Elapsed days (seconds / 86,400, as docs/metrics.md counts them)."""
    return (end - start).total_seconds() / 86_400


def stale_condition(config: WorkflowConfig, now: datetime) -> ColumnElement[bool]:
    """Leads longer in their step than its maximum, without a planned future activity."""
    limits = [
        and_(LEAD.c.stage == stage, LEAD.c.stage_changed_at < now - timedelta(days=days))
        for stage, days in config.max_days.items()
        if days
    ]
    planned = exists().where(activity.c.lead_id == LEAD.c.id, activity.c.due_at > now)
    return and_(or_(false(), *limits), ~planned)


def stale(
    session: Session,
    config: WorkflowConfig,
    *,
    now: datetime,
    owner: str | None = None,
    role: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Leads beyond their step's maximum days, longest in their step first."""
    scope = owner_filter(session, owner, role)
    query = (
        select(
            LEAD.c.id,
            LEAD.c.email,
            LEAD.c.external_id,
            LEAD.c.stage,
            LEAD.c.stage_changed_at,
            rep.c.email.label("owner"),
        )
        .select_from(LEAD.outerjoin(rep, rep.c.id == LEAD.c.owner_id))
        .where(stale_condition(config, now), scope)
        .order_by(LEAD.c.stage_changed_at, LEAD.c.id)
        .limit(limit)
    )
    rows = []
    for row in session.execute(query):
        days = days_between(row.stage_changed_at, now)
        limit_days = config.max_days[row.stage] or 0
        rows.append(
            {
                "lead": lead_label(row.email, row.external_id, row.id),
                "stage": row.stage,
                "owner": row.owner,
                "since": row.stage_changed_at,
                "days_in_stage": days,
                "max_days": limit_days,
                "days_over": days - limit_days,
            }
        )
    return rows
