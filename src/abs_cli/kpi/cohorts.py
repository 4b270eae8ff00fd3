"""Retention by customer cohort (docs/metrics.md, Cohort retention).

A customer's cohort is the first month at whose end it had MRR: the month its `mrr_new`
was counted. For each cohort and each later month end up to the report's last month,
the cohort keeps a number of paying customers (logo retention) and an MRR (revenue
retention, net: expansion and reactivation included), both compared with the cohort's
own first month end.

One grouped pass over each customer's MRR at every month end of the window
(`revenue.customer_mrr`), grouped by cohort, in exact integer MRR units.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.kpi.numbers import dec, ratio
from abs_cli.kpi.periods import Period, months_between, shift
from abs_cli.kpi.revenue import UNITS, customer_mrr
from abs_cli.store.sql import count_if

COHORT_MONTHS = 12
"""Cohorts shown: those of the last twelve months of the period, or of every month of a
longer period."""


def cohort_months(period: Period) -> list[str]:
    """The cohorts a report of `period` shows, oldest first."""
    months = max(COHORT_MONTHS, len(period.months))
    return months_between(shift(period.last, 1 - months), period.last)


def retention_cohorts(
    session: Session, period: Period, accounts: Select[Any] | None = None
) -> list[dict[str, Any]]:
    """Per cohort (oldest first): its customers and MRR at the end of its first month,
    and at every month end from then to the end of the period the customers still paying
    and their MRR, with both as shares of the first month's (`logo_retention`,
    `revenue_retention`). A month without new customers is listed too, with null shares."""
    cohorts = cohort_months(period)
    ends = [shift(cohorts[0], -1), *cohorts]
    per_customer = customer_mrr(ends, accounts).subquery("per_customer")
    c = per_customer.c
    columns: list[Any] = []
    for index in range(1, len(ends)):
        paying = c[f"m_{index}"]
        columns += [count_if(paying > 0), func.coalesce(func.sum(paying), 0)]
    query = (
        select(c.first_month, *columns).where(c.first_month >= cohorts[0]).group_by(c.first_month)
    )
    counted = {
        first_month: [int(value) for value in values]
        for first_month, *values in session.execute(query)
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
