"""Pipeline, team and customer metrics, and the report document, on a hand-computed company."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from kpi_data import seed
from kpi_scenario import company

from abs_cli.kpi.assumptions import KpiSettings
from abs_cli.kpi.numbers import dec
from abs_cli.kpi.periods import Period
from abs_cli.kpi.report import build_report
from abs_cli.kpi.scope import Scope
from abs_cli.render.kpi import show

JAN = Period("2026-01", "2026-01")
AS_OF = datetime(2026, 2, 2, 6, tzinfo=UTC)


@pytest.fixture
def report(store):  # type: ignore[no-untyped-def]
    seed(store, **company())
    with store.session() as session:
        return build_report(session, JAN, as_of=AS_OF, settings=KpiSettings())


def test_document_shape(report) -> None:
    assert list(report) == [
        "period",
        "as_of",
        "settings",
        "scope",
        "metrics",
        "months",
        "funnel_mode",
        "funnel",
        "stages",
        "team",
        "roles",
        "goals",
        "features",
        "campaigns",
        "enablement",
        "cohorts",
    ]
    assert report["period"] == {"from": "2026-01", "to": "2026-01"}
    assert report["months"] == [{"month": "2026-01", "metrics": report["metrics"]}]
    assert report["settings"]["gross_margin"] == 1


def test_wins_losses_cycle_and_value(report) -> None:
    m = report["metrics"]
    assert (m["deals_won"], m["deals_lost"], m["win_rate"]) == (1, 1, Decimal("0.5"))
    assert (m["won_amount"], m["avg_won_amount"]) == (1000, 1000)
    assert (m["sales_cycle_days"], m["sales_cycle_days_median"]) == (10, 10)
    # Open at the end of January: lead 3 (proposal, 300), lead 5 (discovery, no amount),
    # lead 6 (negotiation since December, 800); lead 4 moved back to qualified.
    assert (m["open_deals"], m["pipeline_value"]) == (3, 1100)
    assert m["weighted_pipeline_value"] == 820
    assert m["sales_velocity"] == 150
    # Into qualified: lead 1 (by Sam), lead 4 (back, no rep), lead 5 (no rep).
    assert m["meetings_booked"] == 3


def test_funnel_cohort_and_time_in_step(report) -> None:
    reached = [row["reached"] for row in report["funnel"]]
    assert reached == [4, 4, 4, 2, 2, 1, 1]
    assert [row["conversion"] for row in report["funnel"]] == [
        1,
        1,
        Decimal("0.5"),
        1,
        Decimal("0.5"),
        1,
        None,
    ]
    assert report["metrics"]["lead_to_customer_rate"] == Decimal("0.25")
    stages = {row["stage"]: (row["exits"], row["avg_days_in_stage"]) for row in report["stages"]}
    # prospect: 1, 1, 2 days and 1 day 10 h; lead 4 started at qualified before its creation.
    assert stages["prospect"] == (4, dec(Fraction(65, 48)))
    # qualified: lead 1 (2 days), lead 4 (Nov 20 → Jan 3: 44 days), lead 5 (0, same time).
    assert stages["qualified"] == (3, dec(Fraction(46, 3)))
    # discovery: 7, 3 (a repeated row is no change) and 5 days.
    assert stages["discovery"] == (3, 5)
    assert stages["customer"] == (0, None)


def test_speed_to_lead(report) -> None:
    assert report["metrics"]["speed_to_lead"] == {
        "leads": 3,
        "touched": 2,
        "untouched": 1,
        "median_minutes": 32,
        "p90_minutes": Decimal("54.4"),
        "within_5m": dec(Fraction(1, 3)),
        "within_1h": dec(Fraction(2, 3)),
        "within_24h": dec(Fraction(2, 3)),
    }


def test_team_rows_and_goals(report) -> None:
    rows = {row["rep"]: row for row in report["team"]}
    assert rows["sam@acme.io"]["activities"] == {"call": 1, "email": 2}
    assert rows["sam@acme.io"]["meetings_booked"] == 1
    assert "deals_won" not in rows["sam@acme.io"]
    ana = rows["ana@acme.io"]
    assert ana["activities"] == {"demo": 1, "email": 1, "web_visit": 1}
    assert (ana["deals_won"], ana["deals_lost"], ana["win_rate"], ana["won_amount"]) == (
        1,
        1,
        Decimal("0.5"),
        1000,
    )
    cat = rows["cat@acme.io"]
    assert (cat["customers"], cat["customers_churned"], cat["nps"]) == (1, 0, 100)
    goals = [
        (g["role"], g["rep"], g["metric"], g["actual"], g["attainment"]) for g in report["goals"]
    ]
    assert goals == [
        (None, None, "calls", 2, Decimal("0.5")),
        (None, None, "meetings_booked", 3, Decimal("0.75")),
        ("sdr", "sam@acme.io", "meetings_booked", 1, 1),
        ("ae", None, "deals_won", 1, Decimal("0.5")),
    ]


def test_customers_nps_usage_campaigns_tickets(report) -> None:
    m = report["metrics"]
    assert (m["nps"], m["nps_responses"], m["nps_promoters"], m["nps_detractors"]) == (
        Decimal("12.5"),
        8,
        3,
        2,
    )
    assert show("nps", m["nps"]) == "13" and round(12.5) == 12
    assert show("nps", Decimal("-12.5")) == "-13"
    assert (m["mau"], m["new_users"]) == (3, 2)
    assert m["dau_mau"] == dec(Fraction(4, 93))
    assert m["feature_adoption"] == {"api": dec(Fraction(1, 3)), "export": dec(Fraction(2, 3))}
    assert report["features"][0] == {
        "feature": "export",
        "users": 2,
        "adoption": dec(Fraction(2, 3)),
    }
    assert report["campaigns"] == [
        {"campaign": "w1", "sent": 2, "responded": 1, "response_rate": Decimal("0.5")},
        {"campaign": "w2", "sent": 1, "responded": 1, "response_rate": 1},
    ]
    assert m["campaign_response_rate"] == Decimal("0.5")
    assert m["tickets"] == {"bug": 1, "incident": 1, "question": 1, "unknown": 1}
    assert m["bugs_per_customer"] == 2  # two bug/incident tickets, one paying customer
    assert m["leads_new"] == 4


def test_scope_by_source_keeps_matching_leads(store) -> None:
    seed(store, **company())
    with store.session() as session:
        document = build_report(
            session,
            JAN,
            as_of=AS_OF,
            settings=KpiSettings(),
            scope=Scope(source="webinar"),
            sections=("pipeline",),
        )
    assert document["metrics"]["leads_new"] == 1
    assert document["metrics"]["deals_won"] == 1
    assert document["metrics"]["deals_lost"] == 0


def test_empty_store_report_has_nulls_and_no_error(store) -> None:
    with store.session() as session:
        document = build_report(session, JAN, as_of=AS_OF, settings=KpiSettings())
    m = document["metrics"]
    for key in (
        "win_rate",
        "sales_cycle_days",
        "nps",
        "dau_mau",
        "ltv",
        "mrr_growth_rate",
        "campaign_response_rate",
        "bugs_per_customer",
        "lead_to_customer_rate",
    ):
        assert m[key] is None, key
    assert m["speed_to_lead"]["median_minutes"] is None
    assert document["team"] == [] and document["goals"] == [] and document["campaigns"] == []


def test_open_deals_at_each_month_end_of_a_range(store) -> None:
    seed(store, **company())
    with store.session() as session:
        document = build_report(
            session,
            Period("2025-11", "2026-01"),
            as_of=AS_OF,
            settings=KpiSettings(),
            sections=("pipeline",),
        )
    values = [
        (m["metrics"]["open_deals"], m["metrics"]["pipeline_value"]) for m in document["months"]
    ]
    # November: nothing open (lead 4 is qualified); December: lead 6 negotiating 800;
    # January: leads 3, 5 and 6.
    assert values == [(0, 0), (1, 800), (3, 1100)]
    assert document["metrics"]["pipeline_value"] == 1100
    assert document["metrics"]["deals_won"] == 1


def test_period_mode_funnel_counts_entries(store) -> None:
    seed(store, **company())
    with store.session() as session:
        document = build_report(
            session,
            JAN,
            as_of=AS_OF,
            settings=KpiSettings(),
            sections=("pipeline",),
            mode="period",
        )
    entered = [row["entered"] for row in document["funnel"]]
    # Created in January: 4 leads. Into qualified: leads 1, 4 (back), 5; discovery:
    # leads 1, 2, 4, 5; proposal: lead 3; customer: lead 1.
    assert entered == [4, 3, 4, 0, 1, 0, 1]
    assert document["funnel"][1]["conversion"] == dec(Fraction(4, 3))


def test_settings_from_the_store(store) -> None:
    from abs_cli.kpi.assumptions import load_kpi_settings
    from abs_cli.store.settings import set_setting

    with store.session(write=True) as session:
        set_setting(session, "gross_margin", "0.75")
        set_setting(session, "stage_probabilities", "3:0.1,6:0.9")
        set_setting(session, "ltv_churn_window", "3")
    with store.session() as session:
        settings = load_kpi_settings(session)
    assert settings.gross_margin == Decimal("0.75")
    assert settings.stage_probabilities == {
        3: Decimal("0.1"),
        4: Decimal("0.4"),
        5: Decimal("0.6"),
        6: Decimal("0.9"),
    }
    assert settings.ltv_churn_window == 3


def test_sparkline_kind_scales_between_lowest_and_highest() -> None:
    from abs_cli.render.output import format_cell, sparkline

    assert sparkline([1, 2, None, 8, 4]) == "▁▂ █▄"
    assert sparkline([3, 3]) == "▄▄"
    assert sparkline([None, None]) == "  "
    assert format_cell([Decimal("0.1"), Decimal("0.3")], "spark") == "▁█"
