"""Pipeline metrics from the stage history (docs/metrics.md, Pipeline).

The history is read through `stage_stay` (`abs_cli.store.stays`), where each row already knows
the stage it left, when that stay began, the deal amount and when the next row came:
`stage_moves` returns the changes of the period grouped by month, from-stage, to-stage
and rep (the funnel, wins, losses, time in stage and the team's figures all read from
it) and `open_deals` the deals open at each month end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    func,
    literal,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.domain import STAGES, STEP_OF
from abs_cli.kpi.assumptions import OPEN_STEPS, KpiSettings
from abs_cli.kpi.numbers import dec, divide, mean, median, ratio, times
from abs_cli.kpi.periods import Period, month_end
from abs_cli.kpi.rollups import Rollup
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_cohort, kpi_moves, kpi_open
from abs_cli.store.sql import count_if, epoch, month_key

SECONDS_PER_DAY = 86_400
# Column handles of the store's tables, named like their models.
Lead, SH, ST = tables.lead.c, tables.stage_history.c, tables.stage_stay.c
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


def _moves_query(period: Period, leads: Select[Any] | None = None) -> Select[*tuple[Any, ...]]:
    """The stage changes of the period grouped by month, from-stage, to-stage, rep and
    (for wins) cycle: the columns of `kpi_moves`.

    One range of the `stage_stay` key (entered_at, history_id): the stays that began in
    the period, each knowing the stage it left, when that stay began and the deal amount.
    """
    created = select(Lead.created_at).where(Lead.id == ST.lead_id).scalar_subquery()
    changes = select(
        month_key(ST.entered_at).label("month"),
        ST.from_stage.label("previous"),
        ST.stage.label("to_stage"),
        ST.rep_id.label("rep_id"),
        (epoch(ST.entered_at) - epoch(ST.stay_started_at)).label("stay"),
        case((ST.stage == "customer", epoch(ST.entered_at) - epoch(created))).label("cycle"),
        case((ST.stage == "customer", type_coerce(ST.amount, BigInteger))).label("amount"),
    ).where(ST.entered_at >= period.start, ST.entered_at < period.end, ST.changed == true())
    if leads is not None:
        changes = changes.where(ST.lead_id.in_(leads))
    c = changes.subquery("changes").c
    return select(
        c.month,
        c.previous,
        c.to_stage,
        c.rep_id,
        c.cycle,
        func.count(),
        func.coalesce(func.sum(c.stay), 0),
        func.coalesce(func.sum(c.amount), 0),
    ).group_by(c.month, c.previous, c.to_stage, c.rep_id, c.cycle)


MOVES = Rollup(kpi_moves, _moves_query)


def stage_moves(session: Session, period: Period, leads: Select[Any] | None = None) -> StageMoves:
    """Every change of stage during the period, aggregated (see `StageMoves`)."""
    rows = MOVES.rows(session, period, leads)
    moves = StageMoves()
    for key, previous, to_stage, rep, cycle_seconds, count, stay_seconds, cents in rows:
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


OpenDeals = dict[int, tuple[int, int]]


def _open_query(period: Period, leads: Select[Any] | None = None) -> Select[*tuple[Any, ...]]:
    """Per month end of the period and open stage: (deals, cents), `kpi_open`'s columns.

    A lead's stage and deal amount at moment T are those of its stay row with
    `entered_at < T <= left_at` (`left_at` NULL: still there). One query for all the
    month ends: the index (stage, left_at, entered_at, amount) answers it alone, one
    range per open stage and month end for the stays left since, one for the current.
    """
    ends = union_all(
        *(
            select(
                literal(month, String).label("month"),
                literal(month_end(month), ST.entered_at.type).label("at"),
            )
            for month in period.months
        )
    ).subquery("ends")
    parts = []
    for still in (False, True):
        left = ST.left_at.is_(None) if still else ST.left_at >= ends.c.at
        part = (
            select(ends.c.month, ST.stage, type_coerce(ST.amount, BigInteger).label("amount"))
            .select_from(ends)
            .join(
                tables.stage_stay, and_(ST.stage.in_(OPEN_STAGES), left, ST.entered_at < ends.c.at)
            )
        )
        if leads is not None:
            part = part.where(ST.lead_id.in_(leads))
        parts.append(part)
    deals = union_all(*parts).subquery("deals")
    return select(
        deals.c.month, deals.c.stage, func.count(), func.coalesce(func.sum(deals.c.amount), 0)
    ).group_by(deals.c.month, deals.c.stage)


OPEN = Rollup(kpi_open, _open_query)


def open_deals(
    session: Session, period: Period, leads: Select[Any] | None = None
) -> dict[str, OpenDeals]:
    """Per month of the period: per step 3–6, (open deals, their amount in cents) at the
    month's end."""
    rows = OPEN.rows(session, period, leads)
    result: dict[str, OpenDeals] = {month: {} for month in period.months}
    for month, stage, n, cents in rows:
        result[month][STEP_OF[stage]] = (int(n), int(cents))
    return result


def _cohort_query(period: Period, leads: Select[Any] | None = None) -> Select[*tuple[Any, ...]]:
    """Per month of creation in the period: the leads that reached steps 1..7 so far
    (`kpi_cohort`'s columns)."""
    step = case(*((SH.to_stage == stage, number) for stage, number in STEP_OF.items()), else_=1)
    highest = (
        select(Lead.created_at.label("created_at"), func.max(func.coalesce(step, 1)).label("top"))
        .outerjoin(tables.stage_history, SH.lead_id == Lead.id)
        .where(Lead.created_at >= period.start, Lead.created_at < period.end)
        .group_by(Lead.id, Lead.created_at)
    )
    if leads is not None:
        highest = highest.where(Lead.id.in_(leads))
    inner = highest.subquery("highest")
    month = month_key(inner.c.created_at)
    return select(
        month, *(count_if(inner.c.top >= number) for number in range(1, len(STAGES) + 1))
    ).group_by(month)


COHORTS = Rollup(kpi_cohort, _cohort_query)


def funnel_cohorts(
    session: Session, period: Period, leads: Select[Any] | None = None
) -> dict[str, list[int]]:
    """Per month of creation in the period: the leads that reached steps 1..7 so far."""
    rows = COHORTS.rows(session, period, leads)
    return {key: [int(value) for value in counts] for key, *counts in rows}


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
    deals = open_deals(session, period, leads)
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
