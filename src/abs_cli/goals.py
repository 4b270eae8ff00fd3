"""Goals: the manager's monthly targets, and the team figures they are measured against.

`team_actuals` computes KPI.md's Team figures per rep for one month (activities by type,
meetings booked, deals won and lost, won amount) from the activity and stage history
tables; `goal_actual` sums them for a goal's scope. `abs kpi team` can reuse both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.orm import Session, aliased

from abs_cli.errors import InputError
from abs_cli.store.models import Activity, Goal, Rep, StageHistory
from abs_cli.team import find_rep, parse_role

ACTIVITY_METRICS: dict[str, str] = {
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "demos": "demo",
    "socials": "social",
    "notes": "note",
}
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


@dataclass
class RepFigures:
    """One rep's Team figures for a month (KPI.md, Team)."""

    activities: dict[str, int] = field(default_factory=dict)
    meetings_booked: int = 0
    deals_won: int = 0
    deals_lost: int = 0
    won_amount: Decimal = Decimal("0.00")

    def add(self, other: RepFigures) -> None:
        for kind, count in other.activities.items():
            self.activities[kind] = self.activities.get(kind, 0) + count
        self.meetings_booked += other.meetings_booked
        self.deals_won += other.deals_won
        self.deals_lost += other.deals_lost
        self.won_amount += other.won_amount

    def metric(self, name: str) -> Decimal | int | None:
        if name == "activities":
            return sum(self.activities.values())
        if name in ACTIVITY_METRICS:
            return self.activities.get(ACTIVITY_METRICS[name], 0)
        if name == "win_rate":
            closed = self.deals_won + self.deals_lost
            return Decimal(self.deals_won) / closed if closed else None
        return getattr(self, name)


def team_actuals(session: Session, period: str) -> dict[int | None, RepFigures]:
    """Each rep's figures for the month `period`; key None holds rows naming no rep.

    Activities count every row naming the rep in the month (marketing types included);
    moves are credited to the history row's rep (who made the move), rows into the stage
    the lead was already in are no change; a won deal's amount is the amount on its row,
    else the lead's latest earlier amount.
    """
    start, end = month_bounds(period)
    figures: dict[int | None, RepFigures] = defaultdict(RepFigures)
    activity_counts = (
        select(Activity.rep_id, Activity.type, func.count())
        .where(Activity.occurred_at >= start, Activity.occurred_at < end)
        .group_by(Activity.rep_id, Activity.type)
    )
    for rep_id, kind, count in session.execute(activity_counts):
        figures[rep_id].activities[kind] = count
    earlier = aliased(StageHistory)
    latest_amount = (
        select(earlier.amount)
        .where(
            earlier.lead_id == StageHistory.lead_id,
            earlier.amount.is_not(None),
            tuple_(earlier.changed_at, earlier.id)
            < tuple_(StageHistory.changed_at, StageHistory.id),
        )
        .order_by(earlier.changed_at.desc(), earlier.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    moves = (
        select(
            StageHistory.rep_id,
            StageHistory.to_stage,
            func.count(),
            func.sum(func.coalesce(StageHistory.amount, latest_amount)),
        )
        .where(
            StageHistory.changed_at >= start,
            StageHistory.changed_at < end,
            StageHistory.to_stage.in_(("qualified", "customer", "lost")),
            and_(
                StageHistory.from_stage.is_(None)
                | (StageHistory.from_stage != StageHistory.to_stage)
            ),
        )
        .group_by(StageHistory.rep_id, StageHistory.to_stage)
    )
    for rep_id, stage, count, amount in session.execute(moves):
        row = figures[rep_id]
        if stage == "qualified":
            row.meetings_booked = count
        elif stage == "lost":
            row.deals_lost = count
        else:
            row.deals_won = count
            row.won_amount = amount if amount is not None else Decimal("0.00")
    return dict(figures)


def goal_actual(
    figures: Mapping[int | None, RepFigures], metric: str, rep_ids: Iterable[int] | None
) -> Decimal | int | None:
    """A metric summed over `rep_ids` (None: the whole company, rows without a rep too);
    rates are recomputed from the summed counts."""
    total = RepFigures()
    chosen = figures.keys() if rep_ids is None else rep_ids
    for rep_id in chosen:
        if rep_id in figures:
            total.add(figures[rep_id])
    return total.metric(metric)


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
        select(Goal).where(Goal.metric == metric, Goal.period == period, Goal.scope == scope)
    )
    if goal is None:
        goal = Goal(metric=metric, period=period, scope=scope)
        session.add(goal)
    goal.role = role
    goal.rep_id = rep_row.id if rep_row else None
    goal.target = value
    session.flush()
    return {"period": period, "scope": scope, "metric": metric, "target": value}


def list_goals(session: Session, *, period: str | None = None) -> list[dict[str, Any]]:
    """Goals with their actual so far and attainment = actual / target (None if target 0)."""
    query = select(Goal, Rep.email).outerjoin(Rep, Rep.id == Goal.rep_id)
    if period:
        month_bounds(period)
        query = query.where(Goal.period == period)
    goals = session.execute(query.order_by(Goal.period, Goal.scope, Goal.metric)).all()
    roles: dict[str, list[int]] = defaultdict(list)
    for rep_id, role in session.execute(select(Rep.id, Rep.role)):
        roles[role].append(rep_id)
    cache: dict[str, dict[int | None, RepFigures]] = {}
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
