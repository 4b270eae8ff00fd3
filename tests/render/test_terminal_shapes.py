"""Bars and sparklines in the terminal where a number alone hides the shape."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from abs_cli.cli.pipeline import board_report
from abs_cli.render.kpi import pipeline_sections
from abs_cli.render.output import render

STAGES = ("prospect", "qualified", "discovery", "demo", "proposal", "negotiation", "customer")


def _document() -> dict:
    reached = [200, 50, 40, 20, 10, 5, 0]
    return {
        "metrics": {},
        "funnel_mode": "cohort",
        "funnel": [
            {"step": step, "stage": stage, "reached": count, "conversion": None}
            for step, (stage, count) in enumerate(zip(STAGES, reached, strict=True), start=1)
        ],
        "stages": [
            {"step": step, "stage": stage, "avg_days_in_stage": days, "exits": 3}
            for step, (stage, days) in enumerate(
                zip(STAGES, [1, 2, 4, 8, None, 16, 0], strict=True), start=1
            )
        ],
    }


def test_the_funnel_shows_each_step_as_a_share_of_step_one() -> None:
    funnel, stages, _ = pipeline_sections(_document())
    shares = [row["of_first"] for row in funnel.rows]
    assert shares == [
        1,
        Decimal("0.25"),
        Decimal("0.2"),
        Decimal("0.1"),
        Decimal("0.05"),
        Decimal("0.025"),
        0,
    ]
    assert stages.caption == "avg days by step, 1 to 7: ▁▂▃▅ █▁"


def test_the_funnel_table_draws_the_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    out = io.StringIO()
    render(pipeline_sections(_document())[0], "table", out)
    line = next(row for row in out.getvalue().splitlines() if "qualified" in row)
    assert "█████░░░░░░░░░░░░░░░ 25.0%" in line


def test_an_empty_funnel_has_no_share() -> None:
    document = _document()
    for step in document["funnel"]:
        step["reached"] = 0
    funnel = pipeline_sections(document)[0]
    assert {row["of_first"] for row in funnel.rows} == {None}


def test_the_board_caption_draws_leads_and_weighted_value_by_step() -> None:
    steps = [
        {
            "step": step,
            "stage": stage,
            "leads": leads,
            "amount": Decimal(value),
            "probability": Decimal("0.5"),
            "weighted_amount": Decimal(value) / 2,
            "oldest": [],
        }
        for step, (stage, leads, value) in enumerate(
            zip(STAGES, [70, 10, 8, 6, 4, 2, 30], [0, 0, 100, 800, 400, 0, 900], strict=True),
            start=1,
        )
    ]
    section = board_report(steps).sections[0]
    assert section.caption == (
        "leads by step, 1 to 7: █▂▂▁▁▁▄   weighted value, steps 3 to 6: ▂█▅▁"
    )
