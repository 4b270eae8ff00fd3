"""The demo's working day: assign new leads, move the ready ones, show the board."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pipeline_data import T0, add_activity, add_leads, add_reps, add_score

from abs_cli.demo import working_day


def test_working_day(store) -> None:
    with store.session(write=True) as session:
        reps = add_reps(session, ("sdr@acme.io", "sdr"), ("ir@acme.io", "ir"), ("ae@acme.io", "ae"))
        ids = add_leads(
            session,
            [
                {"email": "touched@x.io"},
                {"email": "cold@x.io"},
                {"email": "mql@x.io", "source": "webinar", "inbound": True},
                {"email": "met@x.io", "stage": "qualified", "owner_id": reps["sdr@acme.io"]},
                {"email": "deal@x.io", "stage": "demo", "amount": Decimal("500")},
            ],
        )
        for email, kind in (
            ("touched@x.io", "call"),
            ("mql@x.io", "email"),
            ("met@x.io", "meeting"),
        ):
            add_activity(session, ids[email], kind, T0 + timedelta(hours=1))
        add_score(session, ids["mql@x.io"], 55, "mql")
        add_score(session, ids["touched@x.io"], 80, "sql")
    day = working_day(store, now=T0 + timedelta(days=1))
    assert {key: day[key] for key in ("assigned", "unassigned", "moved", "refused")} == {
        "assigned": 4,
        "unassigned": 0,
        "moved": 2,
        "refused": 1,
    }
    counts = {step["stage"]: step["leads"] for step in day["board"]}
    assert counts == {
        "prospect": 2,
        "qualified": 1,
        "discovery": 1,
        "demo": 1,
        "proposal": 0,
        "negotiation": 0,
        "customer": 0,
    }


def test_demo_command_prints_the_board(tmp_path, sqlite_cli) -> None:
    (tmp_path / "team.csv").write_text(
        "email,name,role,territory,capacity,active\nana@acme.io,Ana,sdr,FR,,true\n",
        encoding="utf-8",
    )
    result = sqlite_cli("demo", "--examples", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "Pipeline" in result.stdout and "1 prospect" in result.stdout
    assert "working day: 0 leads assigned (0 left unassigned), 0 moved a step" in result.stderr


def test_the_demo_reports_the_month_its_data_ends_in(tmp_path, sqlite_cli) -> None:
    (tmp_path / "team.csv").write_text("email,name,role\nana@acme.io,Ana,sdr\n", encoding="utf-8")
    (tmp_path / "leads.csv").write_text(
        "email,created_at,owner\nbob@client.io,2025-06-10,ana@acme.io\n", encoding="utf-8"
    )
    result = sqlite_cli("demo", "--examples", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "│ period" in result.stdout and "│ 2025-06" in result.stdout
    assert "kpi report --period 2025-06" in result.stderr


@pytest.mark.slow
def test_the_demo_from_the_generated_company_shows_the_readme_pyramid(sqlite_cli) -> None:
    """Any install: the example company is generated at demo time, whatever today is."""
    result = sqlite_cli("demo")
    assert result.exit_code == 0, result.stderr
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    pyramid = readme[
        readme.index("    The pyramid") : readme.index("    └", readme.index("    The pyramid"))
    ]
    for line in pyramid.splitlines()[4:]:
        assert line.strip() in result.stdout, line


@pytest.mark.slow
def test_the_demo_reports_the_example_month_with_its_enablement(sqlite_cli) -> None:
    """The whole example company: the report covers its last month (October 2026)
    whatever today's date, enablement section included."""
    result = sqlite_cli("demo")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "2026-10" in out and "3.7%" in out  # the README's north star
    for title in (
        "Checklists: completion and conversion",
        "Content and closed deals",
        "Stale content",
        "Field feedback by step and tag",
        "Ramp by hire cohort",
    ):
        assert title in out
    assert "roi-calculator" in out and "2025-11" in out
