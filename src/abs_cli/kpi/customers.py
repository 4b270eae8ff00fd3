"""Customer metrics (docs/metrics.md, Customers): NPS, usage, adoption, campaigns, tickets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.kpi.numbers import dec, ratio
from abs_cli.kpi.periods import Period, days_in
from abs_cli.kpi.rollups import Rollup
from abs_cli.kpi.scope import Scope
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_usage_days, kpi_usage_features, kpi_usage_users
from abs_cli.store.sql import count_if, day_key, month_key

# Column handles of the store's tables, named like their models.
CampaignMember = tables.campaign_member.c
NpsResponse = tables.nps_response.c
Ticket = tables.ticket.c
UsageEvent = tables.usage_event.c

BUG_TYPES = ("bug", "incident")


def nps_counts(
    session: Session, period: Period, scope: Scope = Scope()
) -> dict[str, tuple[int, int, int]]:
    """Per month: (promoters, passives, detractors)."""
    month = month_key(NpsResponse.responded_at)
    query = select(
        month,
        count_if(NpsResponse.score >= 9),
        count_if(NpsResponse.score.between(7, 8)),
        count_if(NpsResponse.score <= 6),
    ).where(NpsResponse.responded_at >= period.start, NpsResponse.responded_at < period.end)
    accounts = scope.accounts()
    if accounts is not None:
        query = query.where(NpsResponse.account_id.in_(accounts))
    rows = session.execute(query.group_by(month))
    return {key: (int(p), int(n), int(d)) for key, p, n, d in rows}


def nps_metrics(promoters: int, passives: int, detractors: int) -> dict[str, Any]:
    responses = promoters + passives + detractors
    score = ratio(100 * (promoters - detractors), responses)
    return {
        "nps": dec(score),
        "nps_responses": responses,
        "nps_promoters": promoters,
        "nps_passives": passives,
        "nps_detractors": detractors,
    }


@dataclass
class Usage:
    mau: int = 0
    new_users: int = 0
    user_days: int = 0


def _usage_filter(
    query: Select[*tuple[Any, ...]], period: Period, scope: Scope | None
) -> Select[*tuple[Any, ...]]:
    query = query.where(UsageEvent.occurred_at >= period.start, UsageEvent.occurred_at < period.end)
    accounts = None if scope is None else scope.accounts()
    return query if accounts is None else query.where(UsageEvent.account_id.in_(accounts))


def _users_query(period: Period, scope: Scope | None = None) -> Select[*tuple[Any, ...]]:
    """Per month: active users, and those of them never seen before (`kpi_usage_users`)."""
    earlier = tables.usage_event.alias("earlier")
    per_user = _usage_filter(
        select(
            month_key(UsageEvent.occurred_at).label("month"),
            UsageEvent.user_key.label("user_key"),
            func.min(UsageEvent.occurred_at).label("first_at"),
        ),
        period,
        scope,
    ).group_by(month_key(UsageEvent.occurred_at), UsageEvent.user_key)
    users = per_user.subquery("users")
    seen_before = (
        select(earlier.c.id)
        .where(earlier.c.user_key == users.c.user_key, earlier.c.occurred_at < users.c.first_at)
        .exists()
    )
    return select(users.c.month, func.count(), count_if(~seen_before)).group_by(users.c.month)


def _days_query(period: Period, scope: Scope | None = None) -> Select[*tuple[Any, ...]]:
    """Per month: distinct (day, user) pairs (`kpi_usage_days`)."""
    day = day_key(UsageEvent.occurred_at)
    days = _usage_filter(
        select(day.label("day"), UsageEvent.user_key).distinct(), period, scope
    ).subquery("user_days")
    month_of_day = func.substr(days.c.day, 1, 7)
    return select(month_of_day, func.count()).group_by(month_of_day)


def _features_query(period: Period, scope: Scope | None = None) -> Select[*tuple[Any, ...]]:
    """Per month and feature: distinct users (`kpi_usage_features`)."""
    month = month_key(UsageEvent.occurred_at)
    query = _usage_filter(
        select(month, UsageEvent.feature, func.count(distinct(UsageEvent.user_key))),
        period,
        scope,
    ).where(UsageEvent.feature != "")
    return query.group_by(month, UsageEvent.feature)


USERS = Rollup(kpi_usage_users, _users_query)
USER_DAYS = Rollup(kpi_usage_days, _days_query)
FEATURES = Rollup(kpi_usage_features, _features_query)


def usage(
    session: Session, period: Period, scope: Scope = Scope()
) -> tuple[dict[str, Usage], dict[str, dict[str, int]]]:
    """Per month: MAU, new users and distinct user-days; and users per feature."""
    where = None if scope.is_all else scope
    result: dict[str, Usage] = defaultdict(Usage)
    for key, mau, new in USERS.rows(session, period, where):
        result[key].mau, result[key].new_users = int(mau), int(new)
    for key, count in USER_DAYS.rows(session, period, where):
        result[key].user_days = int(count)
    features: dict[str, dict[str, int]] = defaultdict(dict)
    for key, feature, count in FEATURES.rows(session, period, where):
        features[key][feature] = int(count)
    return result, features


def usage_metrics(month: str, values: Usage, features: dict[str, int]) -> dict[str, Any]:
    dau = Fraction(values.user_days, days_in(month))
    return {
        "mau": values.mau,
        "dau_mau": dec(ratio(dau, values.mau)),
        "new_users": values.new_users,
        "feature_adoption": {
            feature: dec(ratio(count, values.mau)) for feature, count in sorted(features.items())
        },
    }


def feature_rows(values: Usage, features: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"feature": feature, "users": count, "adoption": dec(ratio(count, values.mau))}
        for feature, count in sorted(features.items(), key=lambda item: (-item[1], item[0]))
    ]


def _campaign_query(period: Period, scope: Scope, *group: Any) -> Any:
    query = select(
        *group,
        func.count(distinct(CampaignMember.lead_id)),
        func.count(distinct(_responded_lead())),
    ).where(CampaignMember.sent_at >= period.start, CampaignMember.sent_at < period.end)
    leads = scope.leads()
    if leads is not None:
        query = query.where(CampaignMember.lead_id.in_(leads))
    return query.group_by(*group) if group else query


def _responded_lead() -> Any:
    return case((CampaignMember.responded_at.is_not(None), CampaignMember.lead_id))


def campaigns(
    session: Session, period: Period, scope: Scope = Scope()
) -> tuple[list[dict[str, Any]], dict[str, tuple[int, int]], tuple[int, int]]:
    """Campaigns sent in the period; per month and overall (sent, responded) distinct leads."""
    rows = [
        {
            "campaign": name,
            "sent": int(sent),
            "responded": int(responded),
            "response_rate": dec(ratio(responded, sent)),
        }
        for name, sent, responded in session.execute(
            _campaign_query(period, scope, CampaignMember.campaign).order_by(
                CampaignMember.campaign
            )
        )
    ]
    month = month_key(CampaignMember.sent_at)
    per_month = {
        key: (int(sent), int(responded))
        for key, sent, responded in session.execute(_campaign_query(period, scope, month))
    }
    sent, responded = session.execute(_campaign_query(period, scope)).one()
    return rows, per_month, (int(sent), int(responded))


def tickets(session: Session, period: Period, scope: Scope = Scope()) -> dict[str, dict[str, int]]:
    """Per month: tickets opened by type (a missing type counts as `unknown`)."""
    month = month_key(Ticket.opened_at)
    kind = func.coalesce(Ticket.type, "unknown")
    query = select(month, kind, func.count()).where(
        Ticket.opened_at >= period.start, Ticket.opened_at < period.end
    )
    accounts = scope.accounts()
    if accounts is not None:
        query = query.where(Ticket.account_id.in_(accounts))
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for key, name, count in session.execute(query.group_by(month, kind)):
        result[key][name] = int(count)
    return result


def ticket_metrics(by_type: dict[str, int], customers: int) -> dict[str, Any]:
    bugs = sum(by_type.get(name, 0) for name in BUG_TYPES)
    return {
        "tickets": dict(sorted(by_type.items())),
        "tickets_total": sum(by_type.values()),
        "bugs_per_customer": dec(ratio(bugs, customers)),
    }
