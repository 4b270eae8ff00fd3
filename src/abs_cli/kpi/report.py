"""Assemble docs/metrics.md's JSON document: period, as_of, settings, metrics, months, funnel,
stages, team, features, campaigns, goals (docs/kpi-json.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from abs_cli.errors import UsageError
from abs_cli.kpi import customers as cust
from abs_cli.kpi.assumptions import KpiSettings, load_kpi_settings
from abs_cli.kpi.funnel import (
    COHORTS,
    MOVES,
    OPEN,
    funnel_cohorts,
    pipeline_metrics,
    stage_moves,
)
from abs_cli.kpi.numbers import dec, ratio
from abs_cli.kpi.periods import Period, parse_as_of, resolve_period
from abs_cli.kpi.revenue import REVENUE, OwnerCustomers, revenue_report
from abs_cli.kpi.rollups import Rollup, ensure
from abs_cli.kpi.scope import Scope, make_scope
from abs_cli.kpi.team import (
    ACTIVITIES,
    SPEED,
    goal_actuals,
    month_figures,
    speed_to_lead,
    team_rows,
)

SECTIONS: tuple[str, ...] = ("pipeline", "team", "revenue", "customers")


def build_report(
    session: Session,
    period: Period,
    *,
    as_of: datetime,
    settings: KpiSettings,
    scope: Scope = Scope(),
    mode: str = "cohort",
    sections: Iterable[str] = SECTIONS,
) -> dict[str, Any]:
    """The KPI document of `period` for the chosen sections (all by default)."""
    wanted = set(sections)
    whole: dict[str, Any] = {}
    months: list[dict[str, Any]] = [{} for _ in period.months]
    document: dict[str, Any] = {
        "period": period.to_json(),
        "as_of": as_of,
        "settings": settings.to_json(),
        "scope": scope.to_json(),
        "metrics": whole,
        "months": [
            {"month": month, "metrics": values}
            for month, values in zip(period.months, months, strict=True)
        ],
    }
    revenue: tuple[dict[str, Any], list[dict[str, Any]]] | None = None
    owners: OwnerCustomers | None = None
    if wanted & {"revenue", "customers"}:
        whole_revenue, month_revenue, owners = revenue_report(
            session, period, settings, scope.accounts()
        )
        revenue = (whole_revenue, month_revenue)
    if "revenue" in wanted and revenue is not None:
        _merge(whole, months, *revenue)
    moves = None
    if wanted & {"pipeline", "team"}:
        moves = stage_moves(session, period, scope.leads())
    if "pipeline" in wanted and moves is not None:
        result = pipeline_metrics(session, period, settings, moves, scope.leads(), mode)
        _merge(whole, months, result.metrics, result.months)
        document["funnel_mode"] = mode
        document["funnel"] = result.funnel
        document["stages"] = result.stages
    if "team" in wanted and moves is not None:
        figures = month_figures(session, period, moves, scope, owners)
        document["team"], document["roles"] = team_rows(session, period, figures, scope)
        speed = speed_to_lead(session, period, scope)
        whole["speed_to_lead"] = speed["*"]
        for values, month in zip(months, period.months, strict=True):
            values["speed_to_lead"] = speed[month]
        document["goals"] = goal_actuals(session, period, moves if scope.is_all else None)
    if "customers" in wanted and revenue is not None:
        _customers(session, period, scope, whole, months, revenue, document)
    return document


def _merge(
    whole: dict[str, Any],
    months: list[dict[str, Any]],
    period_values: dict[str, Any],
    month_values: list[dict[str, Any]],
) -> None:
    whole.update(period_values)
    for target, values in zip(months, month_values, strict=True):
        target.update(values)


def _customers(
    session: Session,
    period: Period,
    scope: Scope,
    whole: dict[str, Any],
    months: list[dict[str, Any]],
    revenue: tuple[dict[str, Any], list[dict[str, Any]]],
    document: dict[str, Any],
) -> None:
    nps = cust.nps_counts(session, period, scope)
    pooled = tuple(sum(values) for values in zip((0, 0, 0), *nps.values(), strict=False))
    whole.update(cust.nps_metrics(*pooled))
    usage, features = cust.usage(session, period, scope)
    last = period.last
    whole.update(cust.usage_metrics(last, usage[last], features.get(last, {})))
    rows, per_month, overall = cust.campaigns(session, period, scope)
    whole["campaign_response_rate"] = dec(ratio(overall[1], overall[0]))
    tickets = cust.tickets(session, period, scope)
    totals: dict[str, int] = {}
    for by_type in tickets.values():
        for name, count in by_type.items():
            totals[name] = totals.get(name, 0) + count
    whole.update(cust.ticket_metrics(totals, revenue[0]["customers"]))
    leads_new = whole.get("leads_new")
    for index, month in enumerate(period.months):
        values = months[index]
        values.update(cust.nps_metrics(*nps.get(month, (0, 0, 0))))
        values.update(cust.usage_metrics(month, usage[month], features.get(month, {})))
        sent, responded = per_month.get(month, (0, 0))
        values["campaign_response_rate"] = dec(ratio(responded, sent))
        values.update(cust.ticket_metrics(tickets.get(month, {}), revenue[1][index]["customers"]))
    if leads_new is None:
        cohorts = funnel_cohorts(session, period, scope.leads())
        whole["leads_new"] = sum(counts[0] for counts in cohorts.values())
        for index, month in enumerate(period.months):
            months[index]["leads_new"] = cohorts.get(month, [0])[0]
    document["features"] = cust.feature_rows(usage[last], features.get(last, {}))
    document["campaigns"] = rows


def rollups_for(sections: Iterable[str]) -> list[Rollup]:
    """The rollups an unfiltered report of these sections reads."""
    wanted = set(sections)
    chosen: list[Rollup] = []
    if wanted & {"pipeline", "team"}:
        chosen.append(MOVES)
    if wanted & {"pipeline", "customers"}:
        chosen.append(COHORTS)
    if "pipeline" in wanted:
        chosen.append(OPEN)
    if "team" in wanted:
        chosen += [ACTIVITIES, SPEED]
    if "customers" in wanted:
        chosen += [cust.USERS, cust.USER_DAYS, cust.FEATURES]
    if wanted & {"revenue", "customers", "team"}:
        chosen.append(REVENUE)
    return chosen


def refresh_rollups(
    session: Session, period: Period, settings: KpiSettings, sections: Iterable[str]
) -> bool:
    """Rebuild the stale and missing rollup months the report needs, on a connection of
    its own, before the report's first read (its snapshot then sees them). False when
    the store could not be written."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)  # the store's sessions are bound to its engine
    return ensure(engine, rollups_for(sections), period, settings)


def kpi_document(
    session: Session,
    *,
    period: str | None = None,
    first: str | None = None,
    last: str | None = None,
    as_of: str | None = None,
    settings_file: Path | None = None,
    owner: str | None = None,
    role: str | None = None,
    source: str | None = None,
    mode: str = "cohort",
    sections: Iterable[str] = SECTIONS,
) -> dict[str, Any]:
    """Resolve command-line values (period, as-of, settings, filters) and build the report."""
    moment = parse_as_of(as_of)
    if mode not in ("cohort", "period"):
        raise UsageError(f"--mode {mode!r} is not cohort or period")
    months = resolve_period(period, first, last, moment)
    with Session(bind=session.get_bind()) as reading:  # its own, short, read transaction
        settings = load_kpi_settings(reading, settings_file)
    if owner is None and role is None and source is None:
        refresh_rollups(session, months, settings, sections)
    return build_report(
        session,
        months,
        as_of=moment,
        settings=settings,
        scope=make_scope(session, owner, role, source),
        mode=mode,
        sections=sections,
    )


def latest_data_time(session: Session) -> datetime | None:
    """The latest timestamp of activity in the store (stage history, through its stays;
    activities, subscriptions, usage, NPS), so a demo or an old export reports on its own
    last complete month."""
    from sqlalchemy import func, select

    from abs_cli.store import tables

    latest = [
        session.scalar(select(func.max(column)))
        for column in (
            tables.stage_stay.c.entered_at,  # one per history row, first in its key
            tables.activity.c.occurred_at,
            tables.subscription.c.started_at,
            tables.usage_event.c.occurred_at,
            tables.nps_response.c.responded_at,
        )
    ]
    present = [moment for moment in latest if moment is not None]
    return max(present) if present else None
