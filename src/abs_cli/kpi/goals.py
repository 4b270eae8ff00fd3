"""Goals: the manager's monthly targets, and the team figures they are measured against.

The figures are those of `abs kpi report` (`abs_cli.kpi.team`, docs/metrics.md's Team rules):
`team_actuals` gives them per rep for one month, `goal_actual` sums them for a goal's
scope.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.crm.team import find_rep, parse_role
from abs_cli.errors import InputError
from abs_cli.kpi.numbers import dec
from abs_cli.kpi.team import GOAL_ACTIVITY_ALIASES, Figures, measure, month_of_figures
from abs_cli.store import tables
from abs_cli.store.models import Goal, Rep

ACTIVITY_METRICS: dict[str, str] = GOAL_ACTIVITY_ALIASES
COUNT_METRICS: tuple[str, ...] = ("meetings_booked", "deals_won", "deals_lost")
METRICS: tuple[str, ...] = (
    "activities",
    *ACTIVITY_METRICS,
    *COUNT_METRICS,
    "won_amount",
    "win_rate",
)
PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """`2026-03` → [2026-03-01, 2026-04-01) in UTC, or InputError naming the value."""
    match = PERIOD_PATTERN.match(period.strip())
    if not match:
        raise InputError(f"period {period!r} is not a month (YYYY-MM)")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def team_actuals(session: Session, period: str) -> dict[int | None, Figures]:
    """Each rep's figures for the month `period` (docs/metrics.md, Team, as `abs kpi report`
    computes them); key None holds rows naming no rep."""
    month_bounds(period)
    return month_of_figures(session, period.strip())


def goal_actual(
    figures: Mapping[int | None, Figures], metric: str, rep_ids: Iterable[int] | None
) -> Decimal | int | None:
    """A metric summed over `rep_ids` (None: the whole company, rows without a rep too);
    rates are recomputed from the summed counts."""
    value = measure(dict(figures), metric, rep_ids)
    return dec(value) if isinstance(value, Fraction) else value


def parse_metric(value: str) -> str:
    metric = value.strip().lower()
    if metric not in METRICS:
        raise InputError(f"metric {value!r} is not one of {', '.join(METRICS)}")
    return metric


def set_goal(
    session: Session,
    metric: str,
    target: str | Decimal | int,
    period: str,
    *,
    role: str | None = None,
    rep: str | None = None,
) -> dict[str, Any]:
    """Set (or replace) the target of a metric for a month, for a role, a rep or everyone."""
    metric = parse_metric(metric)
    month_bounds(period)
    try:
        value = Decimal(str(target))
    except InvalidOperation:
        raise InputError(f"target {target!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise InputError(f"target {target} must be a number ≥ 0")
    if role and rep:
        raise InputError("a goal is for a role or for a rep, not both")
    rep_row = find_rep(session, rep) if rep else None
    if role:
        try:
            role = parse_role(role)
        except ValueError as error:
            raise InputError(str(error)) from None
    scope = f"rep:{rep_row.id}" if rep_row else f"role:{role}" if role else "company"
    goal = session.scalar(
        select(Goal).where(
            col(Goal.metric) == metric, col(Goal.period) == period, col(Goal.scope) == scope
        )
    )
    if goal is None:
        goal = Goal(metric=metric, period=period, scope=scope, target=value)
        session.add(goal)
    goal.role = role
    goal.rep_id = rep_row.id if rep_row else None
    goal.target = value
    session.flush()
    return {"period": period, "scope": scope, "metric": metric, "target": value}


def list_goals(session: Session, *, period: str | None = None) -> list[dict[str, Any]]:
    """Goals with their actual so far and attainment = actual / target (None if target 0)."""
    query = select(Goal, col(Rep.email)).outerjoin(Rep, col(Rep.id) == col(Goal.rep_id))
    if period:
        month_bounds(period)
        query = query.where(col(Goal.period) == period)
    goals = session.execute(
        query.order_by(col(Goal.period), col(Goal.scope), col(Goal.metric))
    ).all()
    roles: dict[str, list[int]] = defaultdict(list)
    for rep_id, role in session.execute(select(tables.rep.c.id, tables.rep.c.role)):
        roles[role].append(rep_id)
    cache: dict[str, dict[int | None, Figures]] = {}
    rows = []
    for goal, email in goals:
        if goal.period not in cache:
            cache[goal.period] = team_actuals(session, goal.period)
        rep_ids = (
            [goal.rep_id] if goal.rep_id else roles.get(goal.role or "", []) if goal.role else None
        )
        actual = goal_actual(cache[goal.period], goal.metric, rep_ids)
        target = Decimal(goal.target)
        rows.append(
            {
                "month": goal.period,
                "role": goal.role,
                "rep": email,
                "metric": goal.metric,
                "target": Decimal(int(target)) if target == target.to_integral_value() else target,
                "actual": actual,
                "attainment": (Decimal(actual) / target) if actual is not None and target else None,
            }
        )
    rows.sort(
        key=lambda row: (
            row["month"],
            0 if row["rep"] is None and row["role"] is None else 1 if row["role"] else 2,
            row["role"] or "",
            row["rep"] or "",
            row["metric"],
        )
    )
    return rows
