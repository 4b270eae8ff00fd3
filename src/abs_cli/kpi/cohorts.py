"""Retention by customer cohort (docs/metrics.md, Cohort retention).

A customer's cohort is the first month at whose end it had MRR: the month its `mrr_new`
was counted. For each cohort and each later month end up to the report's last month,
the cohort keeps a number of paying customers (logo retention) and an MRR (revenue
retention, net: expansion and reactivation included), both compared with the cohort's
own first month end.

Two grouped passes over `subscription`, in exact integer MRR units: the customers
whose first paid month falls in the window (from the rows started in it), then their
MRR at every month end of the window, summed per cohort.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.kpi.numbers import dec, ratio
from abs_cli.kpi.periods import Period, month_end, months_between, shift
from abs_cli.kpi.revenue import (
    SUB,
    UNITS,
    active_at_end,
    is_paid,
    paid_amount,
    visible_at_a_month_end,
)
from abs_cli.store import tables
from abs_cli.store.sql import count_if, month_key

COHORT_MONTHS = 12
"""Cohorts shown: those of the last twelve months of the period, or of every month of a
longer period."""


def cohort_months(period: Period) -> list[str]:
    """The cohorts a report of `period` shows, oldest first."""
    months = max(COHORT_MONTHS, len(period.months))
    return months_between(shift(period.last, 1 - months), period.last)


def first_paid_months(months: list[str], accounts: Select[Any] | None = None) -> Select[Any]:
    """The customers whose cohort is one of `months` (consecutive), with that cohort.

    A customer's cohort is the month of its first paid row seen at a month end: a row
    started in month S and not ended within S is active at the end of S, and every month
    end with MRR has such a row started in or before it. So the rows started within the
    months (index on started_at) give the candidates, and one probe each (index
    account_id, …) drops those with such a row before."""
    start, end = month_end(shift(months[0], -1)), month_end(months[-1])
    earlier = tables.subscription.alias("earlier")
    paid_before = (
        select(earlier.c.id)
        .where(
            earlier.c.account_id == SUB.account_id,
            earlier.c.started_at < start,
            earlier.c.is_trial.is_(False),
            type_coerce(earlier.c.amount, BigInteger) > 0,
            visible_at_a_month_end(earlier.c),
        )
        .exists()
    )
    query = select(SUB.account_id, func.min(month_key(SUB.started_at)).label("cohort")).where(
        SUB.started_at >= start,
        SUB.started_at < end,
        is_paid(),
        visible_at_a_month_end(SUB),
    )
    if accounts is not None:
        query = query.where(SUB.account_id.in_(accounts))
    return query.group_by(SUB.account_id).having(~paid_before)


def retention_cohorts(
    session: Session, period: Period, accounts: Select[Any] | None = None
) -> list[dict[str, Any]]:
    """Per cohort (oldest first): its customers and MRR at the end of its first month,
    and at every month end from then to the end of the period the customers still paying
    and their MRR, with both as shares of the first month's (`logo_retention`,
    `revenue_retention`). A month without new customers is listed too, with null shares.

    Only the subscription rows of the window's cohorts are read month end by month end:
    customers who first paid before it (most of them, in a store with history) are never
    grouped."""
    cohorts = cohort_months(period)
    first = first_paid_months(cohorts, accounts).subquery("first_paid")
    amount = paid_amount()
    per_customer = (
        select(
            first.c.cohort,
            *(
                func.sum(case((active_at_end(month), amount), else_=0)).label(f"m_{index}")
                for index, month in enumerate(cohorts)
            ),
        )
        .select_from(tables.subscription)
        .join(first, first.c.account_id == SUB.account_id)
        .where(
            is_paid(),
            SUB.started_at < month_end(cohorts[-1]),
            or_(SUB.ended_at.is_(None), SUB.ended_at >= month_end(cohorts[0])),
        )
        .group_by(SUB.account_id, first.c.cohort)
        .subquery("per_customer")
    )
    c = per_customer.c
    columns: list[Any] = []
    for index in range(len(cohorts)):
        paying = c[f"m_{index}"]
        columns += [count_if(paying > 0), func.coalesce(func.sum(paying), 0)]
    query = select(c.cohort, *columns).group_by(c.cohort)
    counted = {
        cohort: [int(value) for value in values] for cohort, *values in session.execute(query)
    }
    return [_cohort_row(cohorts, index, counted.get(month)) for index, month in enumerate(cohorts)]


def _cohort_row(cohorts: list[str], index: int, counts: list[int] | None) -> dict[str, Any]:
    """One cohort's document row, from its (customers, MRR units) at each month end."""
    month = cohorts[index]
    counts = counts or [0] * (2 * len(cohorts))
    start_customers, start_units = counts[2 * index], counts[2 * index + 1]
    retention = []
    for age, later in enumerate(cohorts[index:]):
        customers, units = counts[2 * (index + age)], counts[2 * (index + age) + 1]
        retention.append(
            {
                "month": later,
                "age": age,
                "customers": customers,
                "mrr": dec(Fraction(units, UNITS)),
                "logo_retention": dec(ratio(customers, start_customers)),
                "revenue_retention": dec(ratio(units, start_units)),
            }
        )
    return {
        "cohort": month,
        "customers": start_customers,
        "mrr": dec(Fraction(start_units, UNITS)),
        "retention": retention,
    }
