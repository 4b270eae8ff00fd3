"""Invariants of the MRR movements over random subscription histories (hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_data import T0, accounts, open_store, seed
from sqlalchemy import delete

from abs_cli.kpi.assumptions import KpiSettings
from abs_cli.kpi.periods import Period, months_between, shift
from abs_cli.kpi.revenue import mrr_at, mrr_movements, revenue_metrics
from abs_cli.store.models import Subscription


@pytest.fixture
def sqlite_store(sqlite_url: str):  # type: ignore[no-untyped-def]
    store = open_store(sqlite_url)
    seed(store, account=accounts(6))
    yield store
    store.dispose()


MONTHS = months_between("2025-01", "2025-12")

rows = st.lists(
    st.fixed_dictionaries(
        {
            "account_id": st.integers(1, 6),
            "start_day": st.integers(0, 330),
            "days": st.one_of(st.none(), st.integers(0, 200)),
            "amount": st.integers(-5, 500),
            "interval": st.sampled_from(["month", "quarter", "year"]),
            "is_trial": st.booleans(),
        }
    ),
    max_size=14,
)


def _subscriptions(drawn: list[dict]) -> list[dict]:
    result = []
    for index, row in enumerate(drawn):
        started = T0 + timedelta(days=row["start_day"], hours=index % 24)
        ended = None if row["days"] is None else started + timedelta(days=row["days"])
        result.append(
            {
                "account_id": row["account_id"],
                "plan": f"p{index}",
                "started_at": started,
                "ended_at": ended,
                "amount": row["amount"],
                "interval": row["interval"],
                "is_trial": row["is_trial"],
            }
        )
    return result


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
@given(drawn=rows, first=st.integers(1, 10), length=st.integers(1, 3))
def test_movements_invariants(sqlite_store, drawn, first, length) -> None:
    with sqlite_store.session(write=True) as session:
        session.execute(delete(Subscription))
    seed(sqlite_store, subscription=_subscriptions(drawn))
    months = MONTHS[first - 1 : first + length]
    with sqlite_store.session() as session:
        moves, cohort = mrr_movements(session, months, (months[0], months[-1]))
        for move in moves:
            assert move.mrr == (
                move.start
                + move.new
                + move.expansion
                + move.reactivation
                - move.contraction
                - move.churn
            )
            assert move.customers_churned <= move.customers_start
            assert Fraction(move.mrr, 1200) == mrr_at(session, move.month)
            if move.start:
                grr = Fraction(move.start - move.contraction - move.churn, move.start)
                nrr = Fraction(
                    move.start + move.expansion - move.contraction - move.churn, move.start
                )
                assert 0 <= grr <= 1
                assert nrr == grr + Fraction(move.expansion, move.start)
        # The identity holds over the range too, flows summed.
        total = sum(m.new + m.expansion + m.reactivation - m.contraction - m.churn for m in moves)
        assert moves[-1].mrr == moves[0].start + total
        assert cohort.retained <= cohort.start
        assert cohort.churned <= cohort.customers
        period = Period(months[1], months[-1])
        whole, _ = revenue_metrics(session, period, KpiSettings())
        grr = whole["gross_revenue_retention"]
        if grr is not None:
            assert 0 <= grr <= 1
            assert grr <= whole["net_revenue_retention"]
        assert whole["customers_churned"] <= sum(m.customers_start for m in moves)
        assert shift(period.first, -1) == months[0]
