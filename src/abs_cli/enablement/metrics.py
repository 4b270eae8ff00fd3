"""Enablement metrics (docs/metrics.md, Enablement): checklists, content, feedback, ramp.

Every figure comes from grouped SQL over the period; the playbook says which items make a
step's checklist, which pieces exist and the ramp targets. Rates are exact fractions of
the counts shown beside them (`kpi.numbers`), null when nothing was counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from abs_cli.domain import SELLING_ROLES, STAGES, STEP_OF
from abs_cli.enablement.content import stale_rows
from abs_cli.enablement.playbook import RAMP_DAYS, Playbook
from abs_cli.kpi.numbers import dec, mean, ratio
from abs_cli.kpi.periods import Period, month_end, month_of, month_start, shift
from abs_cli.store.sql import count_if, epoch, sum_if
from abs_cli.store.tables import activity as ACTIVITY
from abs_cli.store.tables import checklist_tick as TICK
from abs_cli.store.tables import feedback as FEEDBACK
from abs_cli.store.tables import rep as REP
from abs_cli.store.tables import stage_history as HISTORY
from abs_cli.store.tables import stage_stay as STAY

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Window:
    """The moments a report counts: [start, end) of the period, nothing after `as_of`."""

    start: datetime
    end: datetime
    as_of: datetime

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end, column <= self.as_of)


def enablement_document(
    session: Session, playbook: Playbook, period: Period, as_of: datetime
) -> dict[str, Any]:
    """The `enablement` section of the KPI document (docs/kpi-json.md)."""
    window = Window(period.start, period.end, as_of)
    pieces = content_use(session, playbook, window)
    return {
        "checklists": checklist_conversion(session, playbook, window),
        "content": pieces,
        "content_by_step": content_by_step(session, window),
        "stale_content": stale_rows(playbook, as_of.date()),
        "feedback": feedback_trend(session, period, as_of),
        "ramp": ramp(session, playbook, as_of),
    }


def checklist_conversion(
    session: Session, playbook: Playbook, window: Window
) -> list[dict[str, Any]]:
    """Per step with a checklist: the leads that left it in the period, how much of the
    checklist they had ticked when they left, and how many of those with a complete and
    an incomplete checklist moved forward (a departure counts once per lead and move)."""
    rows = []
    for stage in STAGES[:-1]:
        items = [item.id for item in playbook.checklist_of(stage)]
        if not items:
            continue
        ticked = (
            select(func.count())
            .where(
                TICK.c.lead_id == STAY.c.lead_id,
                TICK.c.item.in_(items),
                TICK.c.checked_at <= STAY.c.entered_at,
            )
            .scalar_subquery()
        )
        departures = (
            select(
                ticked.label("ticked"),
                case((STAY.c.stage.in_(STAGES[STEP_OF[stage] :]), 1), else_=0).label("advanced"),
            )
            .where(
                STAY.c.changed.is_(True),
                STAY.c.from_stage == stage,
                window.holds(STAY.c.entered_at),
            )
            .subquery()
        )
        complete = departures.c.ticked >= len(items)
        left, ticks, done, done_advanced, advanced = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(departures.c.ticked), 0),
                count_if(complete),
                sum_if(complete, departures.c.advanced),
                func.coalesce(func.sum(departures.c.advanced), 0),
            )
        ).one()
        left, ticks, done = int(left), int(ticks), int(done)
        done_advanced, advanced = int(done_advanced), int(advanced)
        rows.append(
            {
                "step": STEP_OF[stage],
                "stage": stage,
                "items": len(items),
                "leads": left,
                "completion": dec(ratio(ticks, left * len(items))),
                "complete": done,
                "complete_advanced": done_advanced,
                "complete_conversion": dec(ratio(done_advanced, done)),
                "incomplete": left - done,
                "incomplete_advanced": advanced - done_advanced,
                "incomplete_conversion": dec(ratio(advanced - done_advanced, left - done)),
            }
        )
    return rows


def _stage_at_use() -> Any:
    """The lead's stay holding an activity's moment (`entered_at < T <= left_at`)."""
    return and_(
        STAY.c.lead_id == ACTIVITY.c.lead_id,
        STAY.c.entered_at < ACTIVITY.c.occurred_at,
        or_(STAY.c.left_at.is_(None), ACTIVITY.c.occurred_at <= STAY.c.left_at),
    )


def content_by_step(session: Session, window: Window) -> list[dict[str, Any]]:
    """Content uses in the period by the step the lead was at when the piece was used."""
    query = (
        select(
            STAY.c.stage,
            func.count(),
            func.count(distinct(ACTIVITY.c.content_id)),
            func.count(distinct(ACTIVITY.c.lead_id)),
        )
        .select_from(ACTIVITY.outerjoin(STAY, _stage_at_use()))
        .where(ACTIVITY.c.content_id.is_not(None), window.holds(ACTIVITY.c.occurred_at))
        .group_by(STAY.c.stage)
    )
    found = {
        stage: (int(uses), int(pieces), int(leads))
        for stage, uses, pieces, leads in session.execute(query)
    }
    order = {stage: index for index, stage in enumerate(STAGES)}
    return [
        {
            "step": STEP_OF.get(stage) if stage else None,
            "stage": stage,
            "uses": uses,
            "pieces": pieces,
            "leads": leads,
        }
        for stage, (uses, pieces, leads) in sorted(
            found.items(), key=lambda pair: order.get(pair[0] or "", len(STAGES))
        )
    ]


def content_use(session: Session, playbook: Playbook, window: Window) -> list[dict[str, Any]]:
    """Per piece: its uses in the period, and among the deals closed in the period (won or
    lost), the win rate of those that used it at or before closing against the others.
    Counts are shown beside each rate; they describe, they do not prove the piece helped."""
    uses = {
        content_id: (int(count), int(leads))
        for content_id, count, leads in session.execute(
            select(ACTIVITY.c.content_id, func.count(), func.count(distinct(ACTIVITY.c.lead_id)))
            .where(ACTIVITY.c.content_id.is_not(None), window.holds(ACTIVITY.c.occurred_at))
            .group_by(ACTIVITY.c.content_id)
        )
    }
    closed = (
        select(
            STAY.c.lead_id,
            STAY.c.entered_at.label("closed_at"),
            case((STAY.c.stage == "customer", 1), else_=0).label("won"),
        )
        .where(
            STAY.c.changed.is_(True),
            STAY.c.stage.in_(("customer", "lost")),
            window.holds(STAY.c.entered_at),
        )
        .subquery()
    )
    deals, won = session.execute(
        select(
            func.count(distinct(closed.c.lead_id)),
            func.count(distinct(case((closed.c.won == 1, closed.c.lead_id)))),
        )
    ).one()
    deals, won = int(deals), int(won)
    with_piece = {
        content_id: (int(used), int(used_won))
        for content_id, used, used_won in session.execute(
            select(
                ACTIVITY.c.content_id,
                func.count(distinct(closed.c.lead_id)),
                func.count(distinct(case((closed.c.won == 1, closed.c.lead_id)))),
            )
            .select_from(closed.join(ACTIVITY, ACTIVITY.c.lead_id == closed.c.lead_id))
            .where(
                ACTIVITY.c.content_id.is_not(None),
                ACTIVITY.c.occurred_at <= closed.c.closed_at,
            )
            .group_by(ACTIVITY.c.content_id)
        )
    }
    known = playbook.content()
    ids = list(known) + sorted((set(uses) | set(with_piece)) - set(known))
    rows = []
    for content_id in ids:
        piece = known.get(content_id)
        count, leads = uses.get(content_id, (0, 0))
        used, used_won = with_piece.get(content_id, (0, 0))
        rows.append(
            {
                "id": content_id,
                "step": STEP_OF[piece.stage] if piece else None,
                "stage": piece.stage if piece else None,
                "title": piece.title if piece else None,
                "uses": count,
                "leads": leads,
                "deals_used": used,
                "won_used": used_won,
                "win_rate_used": dec(ratio(used_won, used)),
                "deals_not_used": deals - used,
                "won_not_used": won - used_won,
                "win_rate_not_used": dec(ratio(won - used_won, deals - used)),
            }
        )
    return rows


def feedback_trend(session: Session, period: Period, as_of: datetime) -> list[dict[str, Any]]:
    """Feedback per step and tag: the period's count, each month's, and the count of the
    period of the same length just before (its trend)."""
    months = period.months
    previous_start = month_start(shift(period.first, -len(months)))
    bucket = case(
        (FEEDBACK.c.created_at < period.start, literal("previous")),
        *((FEEDBACK.c.created_at < month_end(month), literal(month)) for month in months[:-1]),
        else_=literal(months[-1]),
    )
    query = (
        select(FEEDBACK.c.stage, FEEDBACK.c.tag, bucket.label("bucket"), func.count())
        .where(
            FEEDBACK.c.created_at >= previous_start,
            FEEDBACK.c.created_at < period.end,
            FEEDBACK.c.created_at <= as_of,
        )
        .group_by(FEEDBACK.c.stage, FEEDBACK.c.tag, bucket)
    )
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for stage, tag, key, count in session.execute(query):
        counts[(stage, tag)][key] = int(count)
    rows: list[dict[str, Any]] = []
    for (stage, tag), by_bucket in counts.items():
        per_month = [by_bucket.get(month, 0) for month in months]
        total, before = sum(per_month), by_bucket.get("previous", 0)
        rows.append(
            {
                "step": STEP_OF[stage],
                "stage": stage,
                "tag": tag,
                "count": total,
                "previous": before,
                "change": total - before,
                "months": per_month,
            }
        )
    rows.sort(key=lambda row: (row["step"], -row["count"], row["tag"]))
    return rows


def ramp(session: Session, playbook: Playbook, as_of: datetime) -> dict[str, Any]:
    """Per selling rep (SDR, IR, AE, CS) with a start date, and per hire cohort (the
    month they started): days to the first held meeting, first lead qualified and first
    deal won (the rep's own moves, as docs/metrics.md credits them), and activities
    logged in the first 30/60/90 days
    against the playbook's ramp targets for the rep's role (null until the window ends)."""
    started = REP.c.started_at
    since_start = epoch(ACTIVITY.c.occurred_at) - epoch(started)
    activity_counts = {
        rep_id: [int(value) for value in counts]
        for rep_id, *counts in session.execute(
            select(
                REP.c.id,
                *(count_if(since_start < days * DAY_SECONDS) for days in RAMP_DAYS),
            )
            .select_from(REP.join(ACTIVITY, ACTIVITY.c.rep_id == REP.c.id))
            .where(
                started.is_not(None),
                ACTIVITY.c.occurred_at >= started,
                ACTIVITY.c.occurred_at <= as_of,
                or_(ACTIVITY.c.due_at.is_(None), ACTIVITY.c.due_at <= as_of),
            )
            .group_by(REP.c.id)
        )
    }
    meetings = dict(
        session.execute(
            select(REP.c.id, func.min(ACTIVITY.c.occurred_at))
            .select_from(REP.join(ACTIVITY, ACTIVITY.c.rep_id == REP.c.id))
            .where(
                started.is_not(None),
                ACTIVITY.c.type == "meeting",
                ACTIVITY.c.occurred_at >= started,
                ACTIVITY.c.occurred_at <= as_of,
                or_(ACTIVITY.c.due_at.is_(None), ACTIVITY.c.due_at <= as_of),
            )
            .group_by(REP.c.id)
        ).all()
    )
    firsts: dict[str, dict[int, datetime]] = {}
    for stage in ("qualified", "customer"):
        firsts[stage] = dict(
            session.execute(
                select(REP.c.id, func.min(HISTORY.c.changed_at))
                .select_from(REP.join(HISTORY, HISTORY.c.rep_id == REP.c.id))
                .where(
                    started.is_not(None),
                    HISTORY.c.to_stage == stage,
                    HISTORY.c.changed_at >= started,
                    HISTORY.c.changed_at <= as_of,
                )
                .group_by(REP.c.id)
            ).all()
        )
    reps = session.execute(
        select(REP.c.id, REP.c.email, REP.c.role, started)
        .where(started.is_not(None), started <= as_of, REP.c.role.in_(SELLING_ROLES))
        .order_by(started, REP.c.email)
    ).all()
    rows = []
    for rep_id, email, role, start in reps:
        counts = activity_counts.get(rep_id, [0] * len(RAMP_DAYS))
        targets = playbook.ramp.get(role, {})
        row: dict[str, Any] = {
            "rep": email,
            "role": role,
            "started_at": start,
            "cohort": month_of(start),
            "days_to_first_meeting": _days(start, meetings.get(rep_id)),
            "days_to_first_qualified": _days(start, firsts["qualified"].get(rep_id)),
            "days_to_first_win": _days(start, firsts["customer"].get(rep_id)),
        }
        for days, count in zip(RAMP_DAYS, counts, strict=True):
            finished = start + timedelta(days=days) <= as_of
            target = targets.get(days)
            row[f"activities_{days}"] = count
            row[f"target_{days}"] = target
            row[f"attainment_{days}"] = dec(ratio(count, target)) if finished and target else None
        rows.append(row)
    return {"reps": rows, "cohorts": _cohorts(rows)}


def _days(start: datetime, reached: datetime | None) -> Fraction | None:
    if reached is None:
        return None
    return Fraction(int((reached - start).total_seconds()), DAY_SECONDS)


def _cohorts(reps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per hire month: averages over the reps that reached each first, attainment pooled
    over the reps whose window ended (their counts summed against their targets summed)."""
    by_cohort: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in reps:
        by_cohort[row["cohort"]].append(row)
    cohorts = []
    for cohort in sorted(by_cohort):
        members = by_cohort[cohort]
        entry: dict[str, Any] = {"cohort": cohort, "reps": len(members)}
        for first in ("first_meeting", "first_qualified", "first_win"):
            reached = [
                row[f"days_to_{first}"] for row in members if row[f"days_to_{first}"] is not None
            ]
            entry[f"reached_{first}"] = len(reached)
            entry[f"avg_days_to_{first}"] = dec(mean(reached))
        for days in RAMP_DAYS:
            done = [row for row in members if row[f"attainment_{days}"] is not None]
            entry[f"attainment_{days}"] = dec(
                ratio(
                    sum(row[f"activities_{days}"] for row in done),
                    sum(row[f"target_{days}"] for row in done),
                )
            )
        cohorts.append(entry)
    for row in reps:
        for first in ("first_meeting", "first_qualified", "first_win"):
            row[f"days_to_{first}"] = dec(row[f"days_to_{first}"])
    return cohorts
