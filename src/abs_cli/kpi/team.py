"""Team metrics (docs/metrics.md, Team): per rep and role, speed-to-lead, goal attainment.

Every figure is additive per (month, rep) — counts, cents, NPS answers — so a role or
the company is the sum of its reps' figures and rates are recomputed from the sums.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.domain import INBOUND_SOURCES, TOUCH_TYPES
from abs_cli.kpi.funnel import StageMoves, stage_moves
from abs_cli.kpi.numbers import dec, median, percentile, ratio, times
from abs_cli.kpi.periods import Period
from abs_cli.kpi.revenue import OwnerCustomers, owner_customers
from abs_cli.kpi.rollups import Rollup
from abs_cli.kpi.scope import Scope
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_activity, kpi_speed
from abs_cli.store.sql import count_if, epoch, month_key

# Column handles of the store's tables, named like their models.
Account, Activity, Goal = tables.account.c, tables.activity.c, tables.goal.c
Lead, NpsResponse, Rep = tables.lead.c, tables.nps_response.c, tables.rep.c

GOAL_ACTIVITY_ALIASES = {
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "demos": "demo",
    "socials": "social",
    "notes": "note",
}
"""Goal metrics that count one activity type."""


@dataclass
class Figures:
    """What one rep (or a role, or the company) did in a month or a period."""

    activities: Counter[str] = field(default_factory=Counter)
    meetings_booked: int = 0
    deals_won: int = 0
    deals_lost: int = 0
    won_cents: int = 0
    customers: int = 0
    customers_churned: int = 0
    promoters: int = 0
    detractors: int = 0
    responses: int = 0

    def add(self, other: Figures, *, stock: bool = True) -> None:
        """Add another's figures; `stock=False` leaves `customers` (a month-end stock) alone."""
        self.activities.update(other.activities)
        for name in (
            "meetings_booked",
            "deals_won",
            "deals_lost",
            "won_cents",
            "customers_churned",
            "promoters",
            "detractors",
            "responses",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if stock:
            self.customers += other.customers

    @property
    def win_rate(self) -> Fraction | None:
        return ratio(self.deals_won, self.deals_won + self.deals_lost)

    @property
    def nps(self) -> Fraction | None:
        return (
            None
            if not self.responses
            else times(100, ratio(self.promoters - self.detractors, self.responses))
        )

    def value(self, metric: str) -> Any:
        """A goal metric's actual value (None for a metric it does not know)."""
        if metric == "activities":
            return sum(self.activities.values())
        if metric in GOAL_ACTIVITY_ALIASES:
            return self.activities.get(GOAL_ACTIVITY_ALIASES[metric], 0)
        if metric == "won_amount":
            return Fraction(self.won_cents, 100)
        if metric in ("win_rate", "nps"):
            return getattr(self, metric)
        return getattr(self, metric, None) if metric in ROW_METRICS else None


ROW_METRICS = frozenset(
    {"meetings_booked", "deals_won", "deals_lost", "customers", "customers_churned"}
)

MonthFigures = dict[str, dict[int | None, Figures]]


def _activity_query(period: Period, scope: Scope | None = None) -> Select[*tuple[Any, ...]]:
    """Activities per month, rep and type (`kpi_activity`'s columns)."""
    month = month_key(Activity.occurred_at)
    query = select(month, Activity.rep_id, Activity.type, func.count()).where(
        Activity.occurred_at >= period.start, Activity.occurred_at < period.end
    )
    if scope is not None:
        reps, leads = scope.reps(), scope.leads()
        if reps is not None:
            query = query.where(Activity.rep_id.in_(reps))
        if scope.source is not None and leads is not None:
            query = query.where(Activity.lead_id.in_(leads))
    return query.group_by(month, Activity.rep_id, Activity.type)


ACTIVITIES = Rollup(kpi_activity, _activity_query)


def _activities(session: Session, period: Period, scope: Scope, into: MonthFigures) -> None:
    for key, rep, kind, count in ACTIVITIES.rows(session, period, _filter(scope)):
        into[key][rep].activities[kind] += count


def _filter(scope: Scope) -> Scope | None:
    """A rollup's filter: None for the whole company."""
    return None if scope.is_all else scope


def _customers(period: Period, owners: OwnerCustomers, into: MonthFigures) -> None:
    """Per CS owner: accounts paying at each month end, and their churns."""
    for owner, months in owners.items():
        for month in period.months:
            customers, churned = months[month]
            figures = into[month][owner]
            figures.customers += customers
            figures.customers_churned += churned


def _nps(session: Session, period: Period, scope: Scope, into: MonthFigures) -> None:
    """NPS answers per month and owner of the responding account (None: no owner)."""
    month = month_key(NpsResponse.responded_at)
    query = (
        select(
            month,
            Account.owner_id,
            count_if(NpsResponse.score >= 9),
            count_if(NpsResponse.score <= 6),
            func.count(),
        )
        .outerjoin(tables.account, Account.id == NpsResponse.account_id)
        .where(NpsResponse.responded_at >= period.start, NpsResponse.responded_at < period.end)
        .group_by(month, Account.owner_id)
    )
    accounts = scope.accounts()
    if accounts is not None:
        query = query.where(NpsResponse.account_id.in_(accounts))
    for key, owner, promoters, detractors, responses in session.execute(query):
        figures = into[key][owner]
        figures.promoters += promoters
        figures.detractors += detractors
        figures.responses += responses


def month_figures(
    session: Session,
    period: Period,
    moves: StageMoves,
    scope: Scope = Scope(),
    owners: OwnerCustomers | None = None,
) -> MonthFigures:
    """Figures per month of the period and per rep (None: rows naming no rep).

    `owners`: the customers per account owner, when the revenue pass already has them.
    """
    figures: MonthFigures = defaultdict(lambda: defaultdict(Figures))
    for table, name in (
        (moves.won, "deals_won"),
        (moves.lost, "deals_lost"),
        (moves.won_cents, "won_cents"),
        (moves.booked, "meetings_booked"),
    ):
        for (month, rep), value in table.items():
            figures_of = figures[month][rep]
            setattr(figures_of, name, getattr(figures_of, name) + value)
    _activities(session, period, scope, figures)
    if owners is None:
        owners = owner_customers(session, [period.before, *period.months], scope.accounts())
    _customers(period, owners, figures)
    _nps(session, period, scope, figures)
    return figures


def _period_figures(figures: MonthFigures, period: Period) -> dict[int | None, Figures]:
    """Flows summed over the months; `customers` taken at the end."""
    total: dict[int | None, Figures] = defaultdict(Figures)
    for month in period.months:
        for rep, values in figures.get(month, {}).items():
            total[rep].add(values, stock=month == period.last)
    return total


def _reps(session: Session, scope: Scope) -> list[Any]:
    """Rows (id, email, name, role, active) of the reps in scope."""
    query = select(Rep.id, Rep.email, Rep.name, Rep.role, Rep.active).order_by(Rep.role, Rep.email)
    reps = scope.reps()
    if reps is not None:
        query = query.where(Rep.id.in_(reps))
    return list(session.execute(query))


def team_row(rep: Any, role: str, figures: Figures) -> dict[str, Any]:
    """A team row as docs/metrics.md's JSON gives it; AE and CS rows carry their own fields."""
    row: dict[str, Any] = {
        "rep": rep.email if rep else None,
        "name": rep.name if rep else None,
        "role": role,
        "activities": dict(sorted(figures.activities.items())),
        "activities_total": sum(figures.activities.values()),
        "meetings_booked": figures.meetings_booked,
    }
    if role == "ae":
        row.update(
            deals_won=figures.deals_won,
            deals_lost=figures.deals_lost,
            win_rate=dec(figures.win_rate),
            won_amount=dec(Fraction(figures.won_cents, 100)),
        )
    if role == "cs":
        row.update(
            customers=figures.customers,
            customers_churned=figures.customers_churned,
            nps=dec(figures.nps),
            nps_responses=figures.responses,
        )
    return row


def team_rows(
    session: Session, period: Period, figures: MonthFigures, scope: Scope = Scope()
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-rep rows (every rep, active or with figures) and per-role subtotals."""
    totals = _period_figures(figures, period)
    rows: list[dict[str, Any]] = []
    roles: dict[str, Figures] = {}
    for rep in _reps(session, scope):
        values = totals.get(rep.id, Figures())
        if not rep.active and values == Figures():
            continue
        rows.append(team_row(rep, rep.role, values))
        roles.setdefault(rep.role, Figures()).add(values)
    return rows, [team_row(None, role, values) for role, values in roles.items()]


def _speed_query(period: Period, scope: Scope | None = None) -> Select[*tuple[Any, ...]]:
    """Inbound leads created in the period per month and seconds to their first touch
    (NULL: never touched): `kpi_speed`'s columns."""
    first_touch = (
        select(func.min(Activity.occurred_at))
        .where(
            Activity.lead_id == Lead.id,
            Activity.type.in_(TOUCH_TYPES),
            Activity.occurred_at >= Lead.created_at,
        )
        .scalar_subquery()
    )
    leads = select(Lead.created_at.label("created_at"), first_touch.label("touched_at")).where(
        func.lower(Lead.source).in_(INBOUND_SOURCES),
        Lead.created_at >= period.start,
        Lead.created_at < period.end,
    )
    scoped = None if scope is None else scope.leads()
    if scoped is not None:
        leads = leads.where(Lead.id.in_(scoped))
    # MATERIALIZED: a flattened subquery would run the first-touch probe once for the
    # grouping key and again for the output column.
    inner = leads.cte("inbound").prefix_with("MATERIALIZED")
    month = month_key(inner.c.created_at)
    seconds = epoch(inner.c.touched_at) - epoch(inner.c.created_at)
    return select(month, seconds, func.count()).group_by(month, seconds)


SPEED = Rollup(kpi_speed, _speed_query)


def speed_to_lead(
    session: Session, period: Period, scope: Scope = Scope()
) -> dict[str, dict[str, Any]]:
    """Per month of the period and for the whole ('*'): speed-to-lead of inbound leads."""
    samples: dict[str, list[int | None]] = defaultdict(list)
    for key, value, count in SPEED.rows(session, period, _filter(scope)):
        samples[key].extend([None if value is None else int(value)] * count)
    result = {month: _speed(samples.get(month, [])) for month in period.months}
    result["*"] = _speed([value for values in samples.values() for value in values])
    return result


def _speed(samples: list[int | None]) -> dict[str, Any]:
    """Speed-to-lead figures from first-touch delays in seconds (None: never touched).

    Kept in whole seconds (sorting and counting integers); quantiles interpolate
    linearly, so a quantile in minutes is the quantile in seconds over 60."""
    seconds = sorted(value for value in samples if value is not None)
    total = len(samples)

    def minutes(value: Fraction | None) -> Fraction | None:
        return None if value is None else value / 60

    return {
        "leads": total,
        "touched": len(seconds),
        "untouched": total - len(seconds),
        "median_minutes": dec(minutes(median(seconds))),
        "p90_minutes": dec(minutes(percentile(seconds, Fraction(9, 10)))),
        "within_5m": dec(ratio(bisect_right(seconds, 5 * 60), total)),
        "within_1h": dec(ratio(bisect_right(seconds, 60 * 60), total)),
        "within_24h": dec(ratio(bisect_right(seconds, 1440 * 60), total)),
    }


def month_of_figures(session: Session, month: str) -> dict[int | None, Figures]:
    """Each rep's figures for one month (None: rows naming no rep): what goals measure."""
    period = Period(month, month)
    return month_figures(session, period, stage_moves(session, period)).get(month, {})


def measure(
    figures: dict[int | None, Figures], metric: str, rep_ids: Iterable[int | None] | None
) -> Any:
    """A goal metric over `rep_ids` (None: the whole company, rows naming no rep too):
    their figures summed, rates recomputed from the sums."""
    total = Figures()
    for rep_id in figures.keys() if rep_ids is None else rep_ids:
        if rep_id in figures:
            total.add(figures[rep_id])
    return total.value(metric)


def goal_actuals(
    session: Session, month_range: Period, moves: StageMoves | None = None
) -> list[dict[str, Any]]:
    """Every goal set for a month of the range, with its actual and attainment.

    A goal is measured over its own month; a role goal sums its reps' figures; a goal
    with neither role nor rep is measured on the company (rows naming no rep included).
    """
    goals = list(
        session.execute(
            select(
                Goal.period,
                Goal.role,
                Goal.metric,
                Goal.target,
                Goal.rep_id,
                Rep.email.label("rep_email"),
                Rep.role.label("rep_role"),
            )
            .select_from(tables.goal)
            .outerjoin(tables.rep, Rep.id == Goal.rep_id)
            .where(Goal.period.in_(month_range.months))
            .order_by(Goal.period, Goal.scope, Goal.metric)
        )
    )
    if not goals:
        return []
    figures = month_figures(session, month_range, moves or stage_moves(session, month_range))
    roles = dict(session.execute(select(Rep.id, Rep.role)).all())
    result = []
    for goal in goals:
        of_month = figures.get(goal.period, {})
        if goal.rep_id is not None:
            chosen: list[int | None] | None = [goal.rep_id]
        elif goal.role is not None:
            chosen = [rep_id for rep_id in of_month if roles.get(rep_id) == goal.role]
        else:
            chosen = None
        actual = measure(of_month, goal.metric, chosen)
        target = goal.target
        result.append(
            {
                "month": goal.period,
                "role": goal.role if goal.rep_id is None else goal.rep_role,
                "rep": goal.rep_email,
                "metric": goal.metric,
                "target": target,
                "actual": dec(actual) if isinstance(actual, Fraction) else actual,
                "attainment": dec(ratio(Fraction(actual), Fraction(target)))
                if actual is not None
                else None,
            }
        )
    return result
