"""Pipeline metrics from the stage history (KPI.md, Pipeline).

`stage_moves` replays the history of the leads that moved during the period with
window functions (previous stage, the start of the current stay, the deal amount so
far) and returns the changes of the period grouped by month, from-stage, to-stage and
rep; the funnel, wins, losses, time in stage and the team's figures all read from it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, case, func, literal, or_, select, type_coerce, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.domain import STAGES, STEP_OF
from abs_cli.kpi.numbers import dec, divide, mean, median, ratio, times
from abs_cli.kpi.periods import Period, month_end
from abs_cli.kpi.settings import OPEN_STEPS, KpiSettings
from abs_cli.kpi.sql import count_if, epoch, month_key
from abs_cli.store.models import Lead, StageHistory

SECONDS_PER_DAY = 86_400
SH = StageHistory
OPEN_STAGES = tuple(STAGES[step - 1] for step in OPEN_STEPS)


@dataclass
class StageMoves:
    """The stage changes of a period, aggregated: what every pipeline and team figure needs.

    Keys are (month, rep_id) unless noted; amounts are cents; durations seconds.
    """

    won: dict[tuple[str, int | None], int] = field(default_factory=lambda: defaultdict(int))
    won_cents: dict[tuple[str, int | None], int] = field(default_factory=lambda: defaultdict(int))
    lost: dict[tuple[str, int | None], int] = field(default_factory=lambda: defaultdict(int))
    booked: dict[tuple[str, int | None], int] = field(default_factory=lambda: defaultdict(int))
    cycles: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Per month: the seconds from lead creation to win of each deal won."""
    exits: dict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    """Per (month, stage left): [exits, seconds spent in the stays that ended]."""
    entries: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    """Per (month, stage entered): changes into it (the period-mode funnel)."""

    def total(self, name: str, months: list[str], rep_ids: set[int | None] | None = None) -> int:
        table: dict[tuple[str, int | None], int] = getattr(self, name)
        return sum(
            value
            for (month, rep), value in table.items()
            if month in months and (rep_ids is None or rep in rep_ids)
        )


def _replayed(end: datetime, since: datetime, leads: Select[Any] | None) -> Any:
    """The history before `end` of the leads with a row in [since, end), one row per
    history row with its previous stage and the start of the stay it ends.

    Two window passes: the previous row's stage, then the time of the last change
    before each row (a repeated row into the same stage is no change).
    """
    touched = select(SH.lead_id).where(SH.changed_at >= since, SH.changed_at < end)
    if leads is not None:
        touched = touched.where(SH.lead_id.in_(leads))
    window = {"partition_by": SH.lead_id, "order_by": (SH.changed_at, SH.id)}
    history = (
        select(
            SH.id,
            SH.lead_id,
            SH.to_stage,
            SH.changed_at,
            SH.rep_id,
            Lead.created_at,
            func.lag(SH.to_stage).over(**window).label("lag_stage"),
            func.row_number().over(**window).label("rn"),
        )
        .join(Lead, Lead.id == SH.lead_id)
        .where(SH.lead_id.in_(touched.distinct()), SH.changed_at < end)
        .cte("history")
    )
    h = history.c
    previous = case(
        (h.rn == 1, case((h.changed_at >= h.created_at, literal("prospect")), else_=None)),
        else_=h.lag_stage,
    )
    changed = or_(previous.is_(None), previous != h.to_stage)
    stay_start = func.max(case((changed, h.changed_at))).over(
        partition_by=h.lead_id, order_by=(h.changed_at, h.id), rows=(None, -1)
    )
    return select(
        h.id,
        h.lead_id,
        h.to_stage,
        h.changed_at,
        h.rep_id,
        h.created_at,
        previous.label("previous"),
        case((changed, 1), else_=0).label("changed"),
        stay_start.label("stay_start"),
    ).cte("replayed")


def _deal_amount(row: Any) -> Any:
    """The deal amount (cents) at a history row: its own, else the latest earlier one."""
    earlier = SH.__table__.alias("amt")
    return (
        select(type_coerce(earlier.c.amount, BigInteger))
        .where(
            earlier.c.lead_id == row.lead_id,
            earlier.c.amount.is_not(None),
            earlier.c.changed_at <= row.changed_at,
            or_(earlier.c.changed_at < row.changed_at, earlier.c.id <= row.id),
        )
        .order_by(earlier.c.changed_at.desc(), earlier.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def stage_moves(session: Session, period: Period, leads: Select[Any] | None = None) -> StageMoves:
    """Every change of stage during the period, aggregated (see `StageMoves`)."""
    r = _replayed(period.end, period.start, leads).c
    changes = (
        select(
            month_key(r.changed_at).label("month"),
            r.previous,
            r.to_stage,
            r.rep_id,
            (epoch(r.changed_at) - epoch(func.coalesce(r.stay_start, r.created_at))).label("stay"),
            case((r.to_stage == "customer", epoch(r.changed_at) - epoch(r.created_at))).label(
                "cycle"
            ),
            case((r.to_stage == "customer", _deal_amount(r))).label("amount"),
        )
        .where(r.changed == 1, r.changed_at >= period.start)
        .subquery("changes")
    )
    c = changes.c
    query = select(
        c.month,
        c.previous,
        c.to_stage,
        c.rep_id,
        c.cycle,
        func.count(),
        func.coalesce(func.sum(c.stay), 0),
        func.coalesce(func.sum(c.amount), 0),
    ).group_by(c.month, c.previous, c.to_stage, c.rep_id, c.cycle)
    moves = StageMoves()
    for key, previous, to_stage, rep, cycle_seconds, count, stay_seconds, cents in session.execute(
        query
    ):
        moves.entries[key, to_stage] += count
        if previous is not None:
            exit_ = moves.exits[key, previous]
            exit_[0] += count
            exit_[1] += int(stay_seconds)
        if to_stage == "customer":
            moves.won[key, rep] += count
            moves.won_cents[key, rep] += int(cents)
            moves.cycles[key].extend([int(cycle_seconds)] * count)
        elif to_stage == "lost":
            moves.lost[key, rep] += count
        elif to_stage == "qualified":
            moves.booked[key, rep] += count
    return moves


def open_deals(
    session: Session, month: str, leads: Select[Any] | None = None
) -> dict[int, tuple[int, int]]:
    """Per step 3–6: (open deals, their amount in cents) at the end of `month`.

    A lead's stage at a moment is that of its last history row before it (the highest id
    among rows at the same time). Only two kinds of lead can be open at the end of the
    month: those open now (the `lead.stage` snapshot every writer keeps equal to the last
    history row, index (stage, owner_id)) and those with history after that moment
    (index (changed_at)). For each of them one probe of the index (lead_id, changed_at,
    to_stage) finds its last row before the moment (and another its latest amount, the
    deal's amount then), so the cost follows the open and recently moved leads, not the
    whole history.
    """
    end = month_end(month)
    candidates = union(
        select(Lead.id.label("lead_id")).where(Lead.stage.in_(OPEN_STAGES)),
        select(SH.lead_id.label("lead_id")).where(SH.changed_at >= end),
    ).subquery("candidates")

    def latest(column: Any, *conditions: Any) -> Any:
        return (
            select(column)
            .where(SH.lead_id == candidates.c.lead_id, SH.changed_at < end, *conditions)
            .order_by(SH.changed_at.desc(), SH.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    deals = select(
        latest(SH.to_stage).label("stage"),
        latest(type_coerce(SH.amount, BigInteger), SH.amount.is_not(None)).label("amount"),
    ).select_from(candidates)
    if leads is not None:
        deals = deals.where(candidates.c.lead_id.in_(leads))
    inner = deals.subquery("open_deals")
    query = (
        select(inner.c.stage, func.count(), func.coalesce(func.sum(inner.c.amount), 0))
        .where(inner.c.stage.in_(OPEN_STAGES))
        .group_by(inner.c.stage)
    )
    return {STEP_OF[stage]: (int(n), int(cents)) for stage, n, cents in session.execute(query)}


def funnel_cohorts(
    session: Session, period: Period, leads: Select[Any] | None = None
) -> dict[str, list[int]]:
    """Per month of creation in the period: the leads that reached steps 1..7 so far."""
    step = case(*((SH.to_stage == stage, number) for stage, number in STEP_OF.items()), else_=1)
    highest = (
        select(Lead.created_at.label("created_at"), func.max(func.coalesce(step, 1)).label("top"))
        .outerjoin(SH, SH.lead_id == Lead.id)
        .where(Lead.created_at >= period.start, Lead.created_at < period.end)
        .group_by(Lead.id, Lead.created_at)
    )
    if leads is not None:
        highest = highest.where(Lead.id.in_(leads))
    inner = highest.subquery("highest")
    month = month_key(inner.c.created_at)
    query = select(
        month, *(count_if(inner.c.top >= number) for number in range(1, len(STAGES) + 1))
    ).group_by(month)
    return {key: [int(value) for value in counts] for key, *counts in session.execute(query)}


def _days(seconds: Fraction | int | None) -> Fraction | None:
    return None if seconds is None else Fraction(seconds) / SECONDS_PER_DAY


def _scalars(
    moves: StageMoves,
    months: list[str],
    deals: dict[int, tuple[int, int]],
    cohort: list[int],
    settings: KpiSettings,
) -> dict[str, Any]:
    won, lost = moves.total("won", months), moves.total("lost", months)
    won_amount = Fraction(moves.total("won_cents", months), 100)
    avg_won = ratio(won_amount, won)
    win_rate = ratio(won, won + lost)
    cycles = sorted(seconds for month in months for seconds in moves.cycles.get(month, []))
    cycle_days = _days(mean(cycles))
    open_count = sum(n for n, _ in deals.values())
    value = Fraction(sum(cents for _, cents in deals.values()), 100)
    weighted = sum(
        (
            Fraction(cents, 100) * Fraction(settings.stage_probabilities[step])
            for step, (_, cents) in deals.items()
        ),
        Fraction(0),
    )
    velocity = divide(times(times(open_count, avg_won), win_rate), cycle_days or None)
    return {
        "leads_new": cohort[0],
        "lead_to_customer_rate": dec(ratio(cohort[6], cohort[0])),
        "deals_won": won,
        "deals_lost": lost,
        "won_amount": dec(won_amount),
        "avg_won_amount": dec(avg_won),
        "win_rate": dec(win_rate),
        "sales_cycle_days": dec(cycle_days),
        "sales_cycle_days_median": dec(_days(median(cycles))),
        "meetings_booked": moves.total("booked", months),
        "open_deals": open_count,
        "pipeline_value": dec(value),
        "weighted_pipeline_value": dec(weighted),
        "sales_velocity": dec(velocity),
    }


@dataclass
class PipelineResult:
    metrics: dict[str, Any]
    months: list[dict[str, Any]]
    funnel: list[dict[str, Any]]
    stages: list[dict[str, Any]]


def _funnel(reached: list[int], entries: list[int], mode: str) -> list[dict[str, Any]]:
    counts = reached if mode == "cohort" else entries
    rows = []
    for index, stage in enumerate(STAGES):
        following = counts[index + 1] if index + 1 < len(STAGES) else None
        row: dict[str, Any] = {"step": index + 1, "stage": stage}
        row["reached" if mode == "cohort" else "entered"] = counts[index]
        row["conversion"] = None if following is None else dec(ratio(following, counts[index]))
        rows.append(row)
    return rows


def pipeline_metrics(
    session: Session,
    period: Period,
    settings: KpiSettings,
    moves: StageMoves,
    leads: Select[Any] | None = None,
    mode: str = "cohort",
) -> PipelineResult:
    """The pipeline metrics of the period and of each of its months, funnel and stages."""
    cohorts = funnel_cohorts(session, period, leads)
    empty = [0] * len(STAGES)
    deals = {month: open_deals(session, month, leads) for month in period.months}
    per_month = [
        _scalars(moves, [month], deals[month], cohorts.get(month, empty), settings)
        for month in period.months
    ]
    pooled = [sum(values) for values in zip(empty, *cohorts.values(), strict=False)]
    whole = _scalars(moves, period.months, deals[period.last], pooled, settings)
    entries = [
        sum(moves.entries.get((month, stage), 0) for month in period.months) for stage in STAGES
    ]
    entries[0] += pooled[0]  # a lead enters step 1 when it is created
    stages = []
    for index, stage in enumerate(STAGES):
        stays = [moves.exits.get((month, stage), (0, 0)) for month in period.months]
        count, seconds = sum(n for n, _ in stays), sum(total for _, total in stays)
        stages.append(
            {
                "step": index + 1,
                "stage": stage,
                "avg_days_in_stage": dec(_days(ratio(seconds, count))),
                "exits": count,
            }
        )
    return PipelineResult(whole, per_month, _funnel(pooled, entries, mode), stages)
