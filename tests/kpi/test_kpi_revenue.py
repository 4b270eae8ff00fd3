"""Revenue metrics from hand-computed subscription histories (docs/metrics.md, Revenue)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from kpi_data import accounts, seed

from abs_cli.kpi.assumptions import KpiSettings
from abs_cli.kpi.numbers import dec
from abs_cli.kpi.periods import Period
from abs_cli.kpi.revenue import revenue_metrics

JAN = Period("2026-01", "2026-01")

SUBSCRIPTIONS = [
    # 1: flat 100 a month.
    {"account_id": 1, "started_at": "2025-10-15", "amount": 100},
    # 2: a yearly plan (100 a month), upgraded in January by a quarterly add-on (+100).
    {"account_id": 2, "started_at": "2025-12-01", "amount": 1200, "interval": "year"},
    {"account_id": 2, "started_at": "2026-01-10", "amount": 300, "interval": "quarter"},
    # 3: churns in January (ended mid-month).
    {"account_id": 3, "started_at": "2025-11-01", "ended_at": "2026-01-15", "amount": 90},
    # 4: paid Sep–Oct, gone in November, back in January: a reactivation.
    {"account_id": 4, "started_at": "2025-09-01", "ended_at": "2025-11-01", "amount": 50},
    {"account_id": 4, "started_at": "2026-01-20", "amount": 60},
    # 5: starts and stops within January: never at a month end, invisible.
    {"account_id": 5, "started_at": "2026-01-05", "ended_at": "2026-01-25", "amount": 500},
    # 6: new in January on a quarterly plan: 100/3 a month, kept exact.
    {"account_id": 6, "started_at": "2026-01-03", "amount": 100, "interval": "quarter"},
    # 7: an upgrade and a downgrade in one month: 200 → 400 → 150 (contraction 50).
    {"account_id": 7, "started_at": "2025-06-01", "ended_at": "2026-01-10", "amount": 200},
    {
        "account_id": 7,
        "plan": "big",
        "started_at": "2026-01-10",
        "ended_at": "2026-01-20",
        "amount": 400,
    },
    {"account_id": 7, "plan": "small", "started_at": "2026-01-20", "amount": 150},
    # 8: ends on 2026-02-01 (a bare date): still paying at the end of January.
    {"account_id": 8, "started_at": "2025-12-01", "ended_at": "2026-02-01", "amount": 70},
    # Trials: 9 converts (paid after its trial), 11 does not, 12 paid only before its trial,
    # 10's first trial is in December so its second trial is not in January's cohort.
    {
        "account_id": 9,
        "started_at": "2026-01-03",
        "ended_at": "2026-01-17",
        "amount": 0,
        "is_trial": True,
    },
    {"account_id": 9, "plan": "paid", "started_at": "2026-02-01", "amount": 80},
    {"account_id": 10, "started_at": "2025-12-20", "amount": 0, "is_trial": True},
    {"account_id": 10, "plan": "again", "started_at": "2026-01-05", "amount": 0, "is_trial": True},
    {"account_id": 11, "started_at": "2026-01-08", "amount": 0, "is_trial": True},
    {"account_id": 12, "started_at": "2025-12-01", "ended_at": "2025-12-15", "amount": 10},
    {"account_id": 12, "plan": "trial", "started_at": "2026-01-10", "amount": 0, "is_trial": True},
    # A credit counts 0.
    {"account_id": 1, "plan": "credit", "started_at": "2025-12-01", "amount": -40},
]
SPEND = [
    {"month": "2026-01", "category": "sales", "amount": 300},
    {"month": "2026-01", "category": "marketing", "amount": 200},
    {"month": "2026-01", "category": "marketing", "channel": "ads", "amount": 100},
    {"month": "2025-12", "category": "sales", "amount": 999},
]


@pytest.fixture
def history(store):  # type: ignore[no-untyped-def]
    seed(store, account=accounts(12), subscription=SUBSCRIPTIONS, spend=SPEND)
    return store


def metrics(store, period: Period = JAN, **settings):  # type: ignore[no-untyped-def]
    with store.session() as session:
        return revenue_metrics(session, period, KpiSettings(**settings))


def test_one_month_movements_are_exact(history) -> None:
    whole, months = metrics(history)
    assert months == [whole]
    assert whole["mrr_start"] == 560
    assert whole["mrr"] == dec(Fraction(1840, 3))
    assert whole["arr"] == 7360
    assert whole["mrr_new"] == dec(Fraction(100, 3))
    assert whole["mrr_expansion"] == 100
    assert whole["mrr_reactivation"] == 60
    assert whole["mrr_contraction"] == 50
    assert whole["mrr_churn"] == 90
    assert (whole["customers_start"], whole["customers"]) == (5, 6)
    assert (whole["customers_new"], whole["customers_reactivated"]) == (1, 1)
    assert whole["customers_churned"] == 1


def test_rates_retention_and_ratios(history) -> None:
    whole, _ = metrics(history)
    assert whole["mrr_growth_rate"] == dec(Fraction(2, 21))
    assert whole["cmgr"] == whole["mrr_growth_rate"]
    assert whole["customer_churn_rate"] == Decimal("0.2")
    assert whole["gross_revenue_retention"] == Decimal("0.75")
    assert whole["net_revenue_retention"] == dec(Fraction(13, 14))
    assert whole["revenue_churn_rate"] == Decimal("0.25")
    assert whole["net_revenue_churn_rate"] == dec(Fraction(1, 14))
    assert whole["arpa"] == whole["arpu"] == dec(Fraction(920, 9))
    assert whole["quick_ratio"] == dec(Fraction(20, 21))


def test_ltv_uses_the_mean_churn_of_six_months(history) -> None:
    # Churn rates Aug..Jan: 0, 0, 0, 1/3, 0, 1/5 → mean 4/45; ARPA 920/9 → LTV 1150.
    whole, _ = metrics(history)
    assert whole["ltv"] == 1150
    halved, _ = metrics(history, gross_margin=Decimal("0.5"))
    assert halved["ltv"] == 575


def test_cac_payback_and_ltv_to_cac(history) -> None:
    whole, _ = metrics(history)
    assert whole["spend"] == 600
    assert whole["cac"] == 600
    assert whole["cac_payback_months"] == 18
    assert whole["ltv_to_cac"] == dec(Fraction(23, 12))


def test_trial_cohort_and_conversion(history) -> None:
    whole, _ = metrics(history)
    assert (whole["trials"], whole["trials_converted"]) == (3, 1)
    assert whole["trial_conversion_rate"] == dec(Fraction(1, 3))


def test_range_sums_flows_and_takes_stocks_at_the_end(history) -> None:
    period = Period("2025-11", "2026-01")
    whole, months = metrics(history, period)
    assert [month["mrr"] for month in months] == [390, 560, dec(Fraction(1840, 3))]
    for flow in (
        "mrr_new",
        "mrr_expansion",
        "mrr_reactivation",
        "mrr_contraction",
        "mrr_churn",
        "customers_new",
        "customers_churned",
        "spend",
    ):
        assert whole[flow] == sum(month[flow] for month in months), flow
    one_by_one = [metrics(history, Period(m, m))[0] for m in ("2025-11", "2025-12", "2026-01")]
    assert months == one_by_one
    assert whole["mrr"] == months[-1]["mrr"]
    assert whole["customers"] == months[-1]["customers"]
    # MRR before the range (end of October): accounts 1, 4 and 7 → 350.
    assert whole["mrr_start"] == 350
    assert whole["mrr_growth_rate"] == dec(Fraction(1840, 3) / 350 - 1)
    # C0 = {1, 4, 7}: 1 stays at 100, 4 left and came back at 60 (not churned at the
    # end of the range), 7 fell from 200 to 150.
    assert whole["customer_churn_rate"] == 0
    assert whole["gross_revenue_retention"] == dec(Fraction(300, 350))
    assert whole["net_revenue_retention"] == dec(Fraction(310, 350))
    cmgr = (Decimal(1840) / Decimal(3) / Decimal(350)) ** (Decimal(1) / Decimal(3)) - 1
    assert whole["cmgr"] == cmgr
    assert whole["customers_new"] == 4  # 3 in Nov, 2 and 8 in Dec, 6 in Jan
    assert whole["cac"] == Decimal("399.75")


def test_zero_churn_makes_ltv_null(store) -> None:
    seed(
        store,
        account=accounts(1),
        subscription=[{"account_id": 1, "started_at": "2025-06-01", "amount": 100}],
    )
    whole, _ = metrics(store)
    assert whole["customer_churn_rate"] == 0
    assert whole["ltv"] is None
    assert whole["quick_ratio"] is None


def test_empty_store_gives_nulls_without_error(store) -> None:
    whole, _ = metrics(store)
    nullable = {
        "mrr_growth_rate",
        "cmgr",
        "customer_churn_rate",
        "gross_revenue_retention",
        "net_revenue_retention",
        "revenue_churn_rate",
        "net_revenue_churn_rate",
        "arpa",
        "arpu",
        "quick_ratio",
        "ltv",
        "cac",
        "cac_payback_months",
        "ltv_to_cac",
        "trial_conversion_rate",
    }
    assert {key for key, value in whole.items() if value is None} == nullable
    assert whole["mrr"] == 0 and whole["customers"] == 0


def test_mrr_falling_to_zero_gives_cmgr_minus_one(store) -> None:
    seed(
        store,
        account=accounts(1),
        subscription=[
            {"account_id": 1, "started_at": "2025-06-01", "ended_at": "2025-12-10", "amount": 100}
        ],
    )
    whole, _ = metrics(store, Period("2025-12", "2026-01"))
    assert whole["cmgr"] == -1
    assert whole["mrr_growth_rate"] == -1
