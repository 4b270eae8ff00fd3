"""`abs kpi enablement` and the report's enablement section on a hand-computed March 2026.

Four leads reach `qualified` in March (sam, the SDR) and leave `prospect` with nothing of
its checklist ticked. Of those leaving `qualified`: jo with all of BANT ticked (on to
discovery, then won), li with only budget (on to discovery, then lost), max with all of
BANT (disqualified). Content: demo-script with jo and li, case-study with jo,
roi-calculator with max (whose deal did not close). Ramp as of 2026-04-15: sam started
2026-01-05, ana 2026-02-02.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

TEAM = """email,role,started
sam@acme.io,sdr,2026-01-05
ana@acme.io,ae,2026-02-02
old@acme.io,ae,
"""
LEADS = """email,source,created_at
jo@client.io,cold_call,2026-02-01
li@client.io,cold_call,2026-02-01
max@client.io,cold_call,2026-02-01
eve@client.io,cold_call,2026-02-01
"""
HISTORY = """lead_email,to_stage,changed_at,rep_email,amount,reason
jo@client.io,qualified,2026-03-02,sam@acme.io,,
li@client.io,qualified,2026-03-03,sam@acme.io,,
max@client.io,qualified,2026-03-04,sam@acme.io,,
eve@client.io,qualified,2026-03-04,sam@acme.io,,
jo@client.io,discovery,2026-03-05,ana@acme.io,1000,
li@client.io,discovery,2026-03-06,ana@acme.io,500,
max@client.io,disqualified,2026-03-10,sam@acme.io,,no budget
jo@client.io,customer,2026-03-20,ana@acme.io,1000,
li@client.io,lost,2026-03-25,ana@acme.io,,price
"""
TICKS = """lead_email,item,checked_at,rep
jo@client.io,budget,2026-03-03,sam@acme.io
jo@client.io,authority,2026-03-03,sam@acme.io
jo@client.io,need,2026-03-04,sam@acme.io
jo@client.io,timing,2026-03-04,sam@acme.io
li@client.io,budget,2026-03-05,sam@acme.io
max@client.io,budget,2026-03-09,sam@acme.io
max@client.io,authority,2026-03-09,sam@acme.io
max@client.io,need,2026-03-09,sam@acme.io
max@client.io,timing,2026-03-09,sam@acme.io
"""
ACTIVITIES = """lead_email,type,occurred_at,rep_email,content
max@client.io,call,2026-03-05,sam@acme.io,roi-calculator
jo@client.io,demo,2026-03-10,ana@acme.io,demo-script
jo@client.io,call,2026-03-12,ana@acme.io,case-study
li@client.io,demo,2026-03-20,ana@acme.io,demo-script
"""
FEEDBACK = """stage,tag,body,rep_email,created_at
qualified,pricing,Too expensive for five seats,sam@acme.io,2026-02-10
qualified,pricing,Wants monthly billing,sam@acme.io,2026-03-03
negotiation,pricing,Annual prepay blocks,ana@acme.io,2026-03-15
negotiation,pricing,Discount asked,ana@acme.io,2026-03-16
negotiation,security,SOC 2 asked,ana@acme.io,2026-03-17
"""
MARCH = ("--period", "2026-03", "--as-of", "2026-04-15T00:00")


@pytest.fixture
def march(cli):  # type: ignore[no-untyped-def]
    for args, text in (
        (("team", "import"), TEAM),
        (("leads", "import"), LEADS),
        (("pipeline", "import"), HISTORY),
        (("leads", "import-checks"), TICKS),
        (("activities", "import"), ACTIVITIES),
        (("feedback", "import"), FEEDBACK),
    ):
        result = cli(*args, "-", input=text)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    result = cli("kpi", "enablement", *MARCH, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout, parse_float=Decimal)["enablement"]


def test_checklist_completion_and_conversion(march) -> None:
    prospect, qualified = march["checklists"][:2]
    assert prospect == {
        "step": 1,
        "stage": "prospect",
        "items": 2,
        "leads": 4,
        "completion": 0,
        "complete": 0,
        "complete_advanced": 0,
        "complete_conversion": None,
        "incomplete": 4,
        "incomplete_advanced": 4,
        "incomplete_conversion": 1,
    }
    assert qualified == {
        "step": 2,
        "stage": "qualified",
        "items": 4,
        "leads": 3,
        "completion": Decimal("0.75"),
        "complete": 2,
        "complete_advanced": 1,
        "complete_conversion": Decimal("0.5"),
        "incomplete": 1,
        "incomplete_advanced": 1,
        "incomplete_conversion": 1,
    }


def test_content_use_per_step_and_win_rates_with_and_without(march) -> None:
    assert march["content_by_step"] == [
        {"step": 2, "stage": "qualified", "uses": 1, "pieces": 1, "leads": 1},
        {"step": 3, "stage": "discovery", "uses": 3, "pieces": 2, "leads": 2},
    ]
    pieces = {row["id"]: row for row in march["content"]}
    assert len(pieces) == 7
    demo, case, roi = pieces["demo-script"], pieces["case-study"], pieces["roi-calculator"]
    assert (demo["uses"], demo["leads"], demo["deals_used"], demo["win_rate_used"]) == (
        2,
        2,
        2,
        Decimal("0.5"),
    )
    assert (demo["deals_not_used"], demo["win_rate_not_used"]) == (0, None)
    assert (case["deals_used"], case["won_used"], case["win_rate_used"]) == (1, 1, 1)
    assert (case["deals_not_used"], case["win_rate_not_used"]) == (1, 0)
    assert (roi["uses"], roi["deals_used"], roi["win_rate_used"]) == (1, 0, None)
    assert (roi["deals_not_used"], roi["win_rate_not_used"]) == (2, Decimal("0.5"))
    assert pieces["security-pack"]["uses"] == 0
    assert march["stale_content"] == []


def test_feedback_by_step_and_tag_with_its_trend(march) -> None:
    assert [
        (row["stage"], row["tag"], row["count"], row["previous"], row["change"], row["months"])
        for row in march["feedback"]
    ] == [
        ("qualified", "pricing", 1, 1, 0, [1]),
        ("negotiation", "pricing", 2, 0, 2, [2]),
        ("negotiation", "security", 1, 0, 1, [1]),
    ]


def test_ramp_by_rep_and_cohort(march) -> None:
    sam, ana = march["ramp"]["reps"]
    assert (sam["rep"], sam["cohort"]) == ("sam@acme.io", "2026-01")
    assert sam["days_to_first_qualified"] == 56
    assert (sam["days_to_first_meeting"], sam["days_to_first_win"]) == (None, None)
    assert [sam[f"activities_{days}"] for days in (30, 60, 90)] == [0, 1, 1]
    assert sam["attainment_30"] == 0
    assert sam["attainment_60"] == pytest.approx(Decimal(1) / 700)
    assert (ana["rep"], ana["days_to_first_win"], ana["activities_60"]) == ("ana@acme.io", 46, 3)
    assert ana["attainment_60"] == Decimal("0.02")
    assert ana["attainment_90"] is None  # day 90 is after the report's as-of
    cohorts = {row["cohort"]: row for row in march["ramp"]["cohorts"]}
    assert cohorts["2026-02"]["reached_first_win"] == 1
    assert cohorts["2026-02"]["avg_days_to_first_win"] == 46
    assert cohorts["2026-01"]["attainment_90"] == pytest.approx(Decimal(1) / 1100)


def test_the_full_report_carries_the_section_and_a_filtered_one_nulls_it(march, cli) -> None:
    report = json.loads(cli("kpi", "report", *MARCH, "-f", "json").stdout, parse_float=Decimal)
    assert report["enablement"] == march
    filtered = json.loads(cli("kpi", "report", *MARCH, "--role", "ae", "-f", "json").stdout)
    assert filtered["enablement"] is None
    table = cli("kpi", "enablement", *MARCH, "--reps")
    assert table.exit_code == 0
    for title in (
        "Checklists",
        "Content used per step",
        "Field feedback",
        "Ramp by hire cohort",
        "Ramp by rep",
    ):
        assert title in table.stdout
    csv = cli("kpi", "report", *MARCH, "-f", "csv")
    assert csv.exit_code == 0


def test_targets_per_step_and_per_rep_and_week(march, cli) -> None:
    """Goals on step conversion and on demos per AE per week, in `goals list` and the
    team report; a move is credited to the rep who made it."""
    for args in (
        ("--metric", "conversion_2", "--target", "0.8", "--role", "ae"),
        ("--metric", "conversion_1", "--target", "1", "--role", "sdr"),
        ("--metric", "demos_per_rep_week", "--target", "1", "--role", "ae"),
    ):
        assert cli("goals", "set", *args, "--period", "2026-03").exit_code == 0
    listed = json.loads(
        cli("goals", "list", "--period", "2026-03", "-f", "json").stdout, parse_float=Decimal
    )
    goals = {(row["role"], row["metric"]): row for row in listed}
    # step 2: jo and li left to discovery by ana's moves, max to disqualified by sam's
    assert goals["ae", "conversion_2"]["actual"] == 1
    assert goals["sdr", "conversion_1"]["actual"] == 1  # sam moved all four forward
    # two demos by the one AE at work in March (31 days: 31/7 weeks)
    demos = goals["ae", "demos_per_rep_week"]
    assert demos["actual"] == pytest.approx(Decimal(2) * 7 / 31)
    assert demos["attainment"] == pytest.approx(Decimal(14) / 31)
    report = json.loads(cli("kpi", "team", *MARCH, "-f", "json").stdout, parse_float=Decimal)
    in_report = {(row["role"], row["metric"]): row for row in report["goals"]}
    assert in_report["ae", "demos_per_rep_week"]["actual"] == pytest.approx(demos["actual"])
    assert in_report["ae", "conversion_2"]["attainment"] == Decimal("1.25")
