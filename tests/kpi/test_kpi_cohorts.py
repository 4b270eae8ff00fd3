"""Cohort retention (docs/metrics.md, Cohort retention): hand-computed, and its invariants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_data import T0, accounts, open_store, seed
from sqlalchemy import delete, literal, select

from abs_cli.kpi.assumptions import KpiSettings
from abs_cli.kpi.cohorts import cohort_months, retention_cohorts
from abs_cli.kpi.numbers import dec
from abs_cli.kpi.periods import Period
from abs_cli.kpi.revenue import revenue_metrics
from abs_cli.store.models import Subscription

MARCH = Period("2026-03", "2026-03")

SUBSCRIPTIONS = [
    # 1: December's cohort, flat 100.
    {"account_id": 1, "started_at": "2025-12-10", "amount": 100},
    # 2: January's cohort, 200, gone in March.
    {"account_id": 2, "started_at": "2026-01-05", "ended_at": "2026-03-15", "amount": 200},
    # 3: January's cohort, 100, expands by 50 in February.
    {"account_id": 3, "started_at": "2026-01-20", "amount": 100},
    {"account_id": 3, "plan": "add-on", "started_at": "2026-02-10", "amount": 50},
    # 4: June 2025's cohort: paid June–July, back in January at 60 (a reactivation).
    {"account_id": 4, "started_at": "2025-06-01", "ended_at": "2025-08-01", "amount": 50},
    {"account_id": 4, "plan": "again", "started_at": "2026-01-10", "amount": 60},
    # 5: starts and stops within January: never paying at a month end, in no cohort.
    {"account_id": 5, "started_at": "2026-01-05", "ended_at": "2026-01-25", "amount": 500},
    # 6: February's cohort, quarterly: 100 a month.
    {"account_id": 6, "started_at": "2026-02-03", "amount": 300, "interval": "quarter"},
    # 7: a trial only: never a customer.
    {"account_id": 7, "started_at": "2026-01-03", "amount": 0, "is_trial": True},
]


def _cells(cohort: dict) -> list[tuple]:
    return [
        (
            cell["month"],
            cell["customers"],
            cell["mrr"],
            cell["logo_retention"],
            cell["revenue_retention"],
        )
        for cell in cohort["retention"]
    ]


@pytest.fixture
def cohorts(store):  # type: ignore[no-untyped-def]
    seed(store, account=accounts(7), subscription=SUBSCRIPTIONS)
    with store.session() as session:
        return {row["cohort"]: row for row in retention_cohorts(session, MARCH)}


def test_the_last_twelve_months_are_cohorts(cohorts) -> None:
    assert list(cohorts) == cohort_months(MARCH)
    assert cohort_months(MARCH)[0] == "2025-04"
    assert len(cohort_months(Period("2025-01", "2026-06"))) == 18


def test_a_cohort_follows_its_customers_month_by_month(cohorts) -> None:
    january = cohorts["2026-01"]
    assert (january["customers"], january["mrr"]) == (2, 300)
    assert _cells(january) == [
        ("2026-01", 2, 300, 1, 1),
        ("2026-02", 2, 350, 1, dec(Fraction(7, 6))),
        ("2026-03", 1, 150, Decimal("0.5"), Decimal("0.5")),
    ]
    assert _cells(cohorts["2026-02"]) == [("2026-02", 1, 100, 1, 1), ("2026-03", 1, 100, 1, 1)]
    assert [cell["customers"] for cell in cohorts["2025-12"]["retention"]] == [1, 1, 1, 1]


def test_a_reactivated_customer_counts_again_in_its_first_cohort(cohorts) -> None:
    june = cohorts["2025-06"]
    assert [cell["customers"] for cell in june["retention"]] == [1, 1, 0, 0, 0, 0, 0, 1, 1, 1]
    assert june["retention"][7]["revenue_retention"] == Decimal("1.2")


def test_a_month_without_new_customers_has_null_shares(cohorts) -> None:
    april = cohorts["2025-04"]
    assert (april["customers"], april["mrr"]) == (0, 0)
    assert {cell["logo_retention"] for cell in april["retention"]} == {None}
    assert {cell["revenue_retention"] for cell in april["retention"]} == {None}


@pytest.fixture
def sqlite_store(sqlite_url: str):  # type: ignore[no-untyped-def]
    store = open_store(sqlite_url)
    seed(store, account=accounts(6))
    yield store
    store.dispose()


rows = st.lists(
    st.fixed_dictionaries(
        {
            "account_id": st.integers(1, 6),
            "start_day": st.integers(0, 400),
            "days": st.one_of(st.none(), st.integers(0, 200)),
            "amount": st.integers(0, 500),
            "interval": st.sampled_from(["month", "quarter", "year"]),
        }
    ),
    max_size=12,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
@given(drawn=rows, last=st.sampled_from(["2025-06", "2025-11", "2026-02"]))
def test_a_cohort_is_its_month_s_new_customers(sqlite_store, drawn, last) -> None:
    """At its first month end a cohort holds exactly that month's `customers_new` and
    `mrr_new`, and its MRR at the period's end sums with the older customers' to `mrr`."""
    with sqlite_store.session(write=True) as session:
        session.execute(delete(Subscription))
    subscriptions = [
        {
            "account_id": row["account_id"],
            "plan": f"p{index}",
            "started_at": T0 + timedelta(days=row["start_day"]),
            "ended_at": None
            if row["days"] is None
            else T0 + timedelta(days=row["start_day"] + row["days"]),
            "amount": row["amount"],
            "interval": row["interval"],
        }
        for index, row in enumerate(drawn)
    ]
    seed(sqlite_store, subscription=subscriptions)
    period = Period("2025-01", last)
    with sqlite_store.session() as session:
        cohorts = retention_cohorts(session, period)
        _, months = revenue_metrics(session, period, KpiSettings())
    by_month = dict(zip(period.months, months, strict=True))
    for cohort in cohorts:
        metrics = by_month.get(cohort["cohort"])
        if metrics is not None:
            assert cohort["customers"] == metrics["customers_new"]
            assert cohort["mrr"] == metrics["mrr_new"]
        assert cohort["retention"][-1]["month"] == last
    still_paying = sum(Fraction(cohort["retention"][-1]["mrr"]) for cohort in cohorts)
    assert still_paying <= Fraction(months[-1]["mrr"]) + Fraction(1, 10**20)


def test_a_scope_keeps_its_accounts_customers(store) -> None:
    seed(store, account=accounts(7), subscription=SUBSCRIPTIONS)
    with store.session() as session:
        scoped = retention_cohorts(session, MARCH, select(literal(3)))
    by_cohort = {row["cohort"]: row for row in scoped}
    assert [row["customers"] for row in scoped if row["customers"]] == [1]
    assert _cells(by_cohort["2026-01"]) == [
        ("2026-01", 1, 100, 1, 1),
        ("2026-02", 1, 150, 1, Decimal("1.5")),
        ("2026-03", 1, 150, 1, Decimal("1.5")),
    ]
