"""The KPI page's Enablement section: its numbers are the JSON's `enablement`, drawn as
inline SVG; `abs kpi enablement --format html` draws only that section.

The store is a small March 2026 (the one tests/enablement/test_metrics.py computes by
hand): leads leaving `qualified` with and without BANT ticked, three pieces of content
used, feedback on two steps, two reps with a start date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from html_checks import mismatches, read_page
from hypothesis import given, settings
from hypothesis import strategies as st

from abs_cli.render.html import NO_CAUSAL_CLAIM, enablement_sheet

TEAM = """email,role,started
samuel.oduya-bright@acme.io,sdr,2026-01-05
anastasia.lima-ferreira@acme.io,ae,2026-02-02
"""
LEADS = """email,source,created_at
jo@client.io,cold_call,2026-02-01
li@client.io,cold_call,2026-02-01
max@client.io,cold_call,2026-02-01
"""
HISTORY = """lead_email,to_stage,changed_at,rep_email,amount,reason
jo@client.io,qualified,2026-03-02,samuel.oduya-bright@acme.io,,
li@client.io,qualified,2026-03-03,samuel.oduya-bright@acme.io,,
max@client.io,qualified,2026-03-04,samuel.oduya-bright@acme.io,,
jo@client.io,discovery,2026-03-05,anastasia.lima-ferreira@acme.io,1000,
li@client.io,discovery,2026-03-06,anastasia.lima-ferreira@acme.io,500,
max@client.io,disqualified,2026-03-10,samuel.oduya-bright@acme.io,,no budget
jo@client.io,customer,2026-03-20,anastasia.lima-ferreira@acme.io,1000,
li@client.io,lost,2026-03-25,anastasia.lima-ferreira@acme.io,,price
"""
TICKS = """lead_email,item,checked_at,rep
jo@client.io,budget,2026-03-03,samuel.oduya-bright@acme.io
jo@client.io,authority,2026-03-03,samuel.oduya-bright@acme.io
jo@client.io,need,2026-03-04,samuel.oduya-bright@acme.io
jo@client.io,timing,2026-03-04,samuel.oduya-bright@acme.io
li@client.io,budget,2026-03-05,samuel.oduya-bright@acme.io
"""
ACTIVITIES = """lead_email,type,occurred_at,rep_email,content
max@client.io,call,2026-03-05,samuel.oduya-bright@acme.io,roi-calculator
jo@client.io,demo,2026-03-10,anastasia.lima-ferreira@acme.io,demo-script
jo@client.io,call,2026-03-12,anastasia.lima-ferreira@acme.io,case-study
li@client.io,demo,2026-03-20,anastasia.lima-ferreira@acme.io,demo-script
"""
FEEDBACK = """stage,tag,body,rep_email,created_at
qualified,pricing,Too expensive for five seats,samuel.oduya-bright@acme.io,2026-01-10
qualified,pricing,Per seat is confusing,samuel.oduya-bright@acme.io,2026-01-11
qualified,pricing,Wants monthly billing,samuel.oduya-bright@acme.io,2026-03-03
negotiation,pricing,Annual prepay blocks,anastasia.lima-ferreira@acme.io,2026-02-15
negotiation,pricing,Discount asked,anastasia.lima-ferreira@acme.io,2026-03-16
"""
PERIOD = ("--from", "2026-02", "--to", "2026-03", "--as-of", "2026-04-15T00:00")
ENABLEMENT_CHARTS = {"checklists", "content-steps", "content-wins", "feedback"}


def seed_march(cli: Cli) -> Cli:
    """The March store, written through the importers (reps with long, real-looking
    addresses: the ramp-by-rep table must still fit the page)."""
    for args, rows in (
        (("team", "import"), TEAM),
        (("leads", "import"), LEADS),
        (("pipeline", "import"), HISTORY),
        (("leads", "import-checks"), TICKS),
        (("activities", "import"), ACTIVITIES),
        (("feedback", "import"), FEEDBACK),
    ):
        result = cli(*args, "-", input=rows)
        assert result.exit_code == 0, (args, result.stderr)
    return cli


@pytest.fixture
def march(cli: Cli) -> Cli:
    return seed_march(cli)


def _page_and_json(cli: Cli, command: str, *args: str) -> tuple[str, dict[str, Any]]:
    page = cli("kpi", command, *args, "--format", "html")
    assert page.exit_code == 0, page.stderr
    as_json = cli("kpi", command, *args, "--format", "json")
    assert as_json.exit_code == 0, as_json.stderr
    return page.stdout, json.loads(as_json.stdout)


def test_the_enablement_command_draws_its_section_with_the_json_s_numbers(march: Cli) -> None:
    page, document = _page_and_json(march, "enablement", *PERIOD)
    assert mismatches(page, document) == []
    reader = read_page(page)
    assert set(reader.charts) == ENABLEMENT_CHARTS
    assert all(count == 1 for count in reader.charts.values()), reader.charts
    assert reader.references == [] and "<script" not in page
    assert 'id="enablement"' in page and 'id="pipeline"' not in page
    keys = {key for key, _, _ in reader.numbers}
    section = document["enablement"]
    qualified = next(i for i, row in enumerate(section["checklists"]) if row["step"] == 2)
    assert {
        f"enablement.checklists.{qualified}.{field}"
        for field in ("completion", "complete", "complete_advanced", "incomplete_conversion")
    } <= keys
    demo = next(i for i, row in enumerate(section["content"]) if row["id"] == "demo-script")
    assert {
        f"enablement.content.{demo}.{field}"
        for field in ("win_rate_used", "won_used", "deals_used", "win_rate_not_used", "uses")
    } <= keys
    assert {"enablement.content_by_step.0.uses", "enablement.content_by_step.0.pieces"} <= keys
    assert {f"enablement.feedback.0.{field}" for field in ("count", "previous", "change")} <= keys
    assert {"enablement.ramp.cohorts.0.reps", "enablement.ramp.cohorts.1.attainment_30"} <= keys
    assert NO_CAUSAL_CLAIM in page
    assert "Ramp by rep" not in page


def test_reps_adds_each_rep_s_ramp(march: Cli) -> None:
    page, document = _page_and_json(march, "enablement", *PERIOD, "--reps")
    assert mismatches(page, document) == []
    assert "Ramp by rep" in page
    keys = {key for key, _, _ in read_page(page).numbers}
    assert {"enablement.ramp.reps.1.days_to_first_win", "enablement.ramp.reps.0.target_60"} <= keys


def test_the_page_goes_to_a_file_with_o(march: Cli, tmp_path: Path) -> None:
    target = tmp_path / "enablement.html"
    result = march("kpi", "enablement", *PERIOD, "--reps", "--format", "html", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"wrote {target}" in result.stderr
    page, _ = _page_and_json(march, "enablement", *PERIOD, "--reps")
    assert target.read_text(encoding="utf-8") == page


def test_the_full_report_ends_with_the_section_and_a_filtered_one_says_why_not(
    march: Cli,
) -> None:
    page, document = _page_and_json(march, "report", *PERIOD)
    assert mismatches(page, document) == []
    assert set(read_page(page).charts) >= ENABLEMENT_CHARTS
    filtered, filtered_document = _page_and_json(march, "report", *PERIOD, "--role", "ae")
    assert filtered_document["enablement"] is None
    assert mismatches(filtered, filtered_document) == []
    assert "leaves it out" in filtered
    assert not any(key.startswith("enablement.") for key, _, _ in read_page(filtered).numbers)
    assert ENABLEMENT_CHARTS.isdisjoint(read_page(filtered).charts)


def _document(enablement: dict[str, Any]) -> dict[str, Any]:
    return {"period": {"from": "2026-01", "to": "2026-03"}, "enablement": enablement}


EMPTY_RAMP = {"reps": [], "cohorts": []}


def test_stale_content_and_feedback_changes_keep_their_numbers_and_signs() -> None:
    stale = {
        "id": "case-study",
        "step": 5,
        "stage": "proposal",
        "title": "Case <study>",
        "link": "https://example.com/case.pdf",
        "owner": "marketing@acme.io",
        "review": "2026-01-31",
        "stale": True,
        "days_overdue": 1234,
    }
    feedback = [
        {
            "step": step,
            "stage": stage,
            "tag": "pricing",
            "count": count,
            "previous": previous,
            "change": count - previous,
            "months": months,
        }
        for step, stage, count, previous, months in (
            (2, "qualified", 1, 4, [0, 1, 0]),
            (6, "negotiation", 5, 2, [1, 1, 3]),
        )
    ]
    document = _document(
        {
            "checklists": [],
            "content": [],
            "content_by_step": [],
            "stale_content": [stale],
            "feedback": feedback,
            "ramp": EMPTY_RAMP,
        }
    )
    sheet = enablement_sheet(document)
    assert mismatches(sheet, document) == []
    assert ">1,234<" in sheet and "Case &lt;study&gt;" in sheet
    assert ">-3<" in sheet and ">+3<" in sheet
    assert "https://example.com/case.pdf" in sheet and "href" not in sheet
    assert set(read_page(sheet).charts) == {"feedback"}
    assert "No content was used in the period." in sheet


def test_a_store_without_start_dates_says_how_to_add_them() -> None:
    document = _document(
        {
            "checklists": [],
            "content": [],
            "content_by_step": [],
            "stale_content": [],
            "feedback": [],
            "ramp": EMPTY_RAMP,
        }
    )
    sheet = enablement_sheet(document)
    assert "abs team add --started" in sheet
    assert "No content is past its review date." in sheet
    assert read_page(sheet).charts == {}


counts = st.integers(min_value=0, max_value=10_000)
rates = st.none() | st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def enablement_documents(draw: st.DrawFn) -> dict[str, Any]:
    checklists = [
        {
            "step": step,
            "stage": f"stage{step}",
            "items": draw(counts),
            "leads": draw(counts),
            "completion": draw(rates),
            "complete": draw(counts),
            "complete_advanced": draw(counts),
            "complete_conversion": draw(rates),
            "incomplete": draw(counts),
            "incomplete_advanced": draw(counts),
            "incomplete_conversion": draw(rates),
        }
        for step in range(1, draw(st.integers(1, 6)) + 1)
    ]
    content = [
        {
            "id": f"piece-{index}",
            "step": draw(st.none() | st.integers(1, 7)),
            "stage": None,
            "title": None,
            "uses": draw(counts),
            "leads": draw(counts),
            "deals_used": draw(counts),
            "won_used": draw(counts),
            "win_rate_used": draw(rates),
            "deals_not_used": draw(counts),
            "won_not_used": draw(counts),
            "win_rate_not_used": draw(rates),
        }
        for index in range(draw(st.integers(0, 4)))
    ]
    feedback = [
        {
            "step": 3,
            "stage": "discovery",
            "tag": f"tag{index}",
            "count": draw(counts),
            "previous": draw(counts),
            "change": draw(st.integers(-10_000, 10_000)),
            "months": draw(st.lists(counts, min_size=1, max_size=24)),
        }
        for index in range(draw(st.integers(0, 4)))
    ]
    cohorts = [
        {
            "cohort": "2026-01",
            "reps": draw(counts),
            **{
                field: draw(value)
                for milestone in ("first_meeting", "first_qualified", "first_win")
                for field, value in (
                    (f"reached_{milestone}", counts),
                    (f"avg_days_to_{milestone}", st.none() | st.floats(0, 1000)),
                )
            },
            **{f"attainment_{days}": draw(st.none() | st.floats(0, 5)) for days in (30, 60, 90)},
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return _document(
        {
            "checklists": checklists,
            "content": content,
            "content_by_step": [],
            "stale_content": [],
            "feedback": feedback,
            "ramp": {"reps": [], "cohorts": cohorts},
        }
    )


@settings(max_examples=40, deadline=None)
@given(enablement_documents())
def test_every_number_the_section_draws_is_the_document_s(document: dict[str, Any]) -> None:
    sheet = enablement_sheet(document)
    assert mismatches(sheet, document) == []
    reader = read_page(sheet)
    assert all(count == 1 for count in reader.charts.values())
    drawn = {key for key, _, _ in reader.numbers}
    section = document["enablement"]
    assert {f"enablement.checklists.{i}.completion" for i in range(len(section["checklists"]))} <= (
        drawn
    )
    assert {f"enablement.feedback.{i}.change" for i in range(len(section["feedback"]))} <= drawn
