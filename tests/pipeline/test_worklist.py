"""Board, stale leads, activities, the queue with its SLAs, and goals, on a fixed clock."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from pipeline_data import T0, add_activity, add_leads, add_reps, add_score

from abs_cli.kpi.goals import goal_actual, month_bounds, team_actuals

NOW = T0 + timedelta(days=20)  # 2026-03-22T09:00Z


@pytest.fixture
def floor(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Two AEs, an SDR, an IR and leads across the steps."""
    with store.session(write=True) as session:
        reps = add_reps(
            session,
            ("sdr@acme.io", "sdr"),
            ("ir@acme.io", "ir"),
            ("ae1@acme.io", "ae"),
            ("ae2@acme.io", "ae"),
        )
        day = timedelta(days=1)
        ids = add_leads(
            session,
            [
                {"email": "p1@x.io", "owner_id": reps["sdr@acme.io"], "created_at": NOW - 30 * day},
                {"email": "p2@x.io", "owner_id": reps["sdr@acme.io"], "created_at": NOW - 2 * day},
                {
                    "email": "in@x.io",
                    "owner_id": reps["ir@acme.io"],
                    "source": "demo_request",
                    "inbound": True,
                    "created_at": NOW - timedelta(hours=3),
                },
                {
                    "email": "in2@x.io",
                    "owner_id": reps["ir@acme.io"],
                    "source": "Webinar",
                    "created_at": NOW - timedelta(minutes=30),
                },
                {
                    "email": "d1@x.io",
                    "stage": "demo",
                    "owner_id": reps["ae1@acme.io"],
                    "amount": Decimal("1000.10"),
                    "created_at": NOW - 40 * day,
                    "stage_changed_at": NOW - 20 * day,
                },
                {
                    "email": "d2@x.io",
                    "stage": "demo",
                    "owner_id": reps["ae2@acme.io"],
                    "amount": Decimal("3000"),
                    "created_at": NOW - 40 * day,
                    "stage_changed_at": NOW - 16 * day,
                },
                {
                    "email": "n1@x.io",
                    "stage": "negotiation",
                    "owner_id": reps["ae1@acme.io"],
                    "amount": Decimal("5000"),
                    "created_at": NOW - 40 * day,
                    "stage_changed_at": NOW - 5 * day,
                },
                {"email": "gone@x.io", "stage": "lost", "amount": Decimal("7")},
            ],
        )
        add_activity(session, ids["d2@x.io"], "call", NOW - 3 * day, due_at=NOW + day)
        add_score(session, ids["p2@x.io"], 90, "sql")
        add_score(session, ids["p1@x.io"], 20, "none")
    return ids


def test_board_counts_amounts_and_oldest(cli, floor) -> None:
    result = cli("pipeline", "board", "--as-of", NOW.isoformat(), "-f", "json")
    assert result.exit_code == 0, result.stderr
    steps = {step["stage"]: step for step in json.loads(result.stdout)}
    assert list(steps) == [
        "prospect",
        "qualified",
        "discovery",
        "demo",
        "proposal",
        "negotiation",
        "customer",
    ]
    assert steps["prospect"]["leads"] == 4 and steps["prospect"]["amount"] == 0
    assert steps["demo"] | {"oldest": None} == {
        "step": 4,
        "stage": "demo",
        "leads": 2,
        "amount": 4000.1,
        "probability": 0.4,
        "weighted_amount": 1600.04,
        "oldest": None,
    }
    assert steps["demo"]["oldest"] == [
        {
            "lead": "d1@x.io",
            "owner": "ae1@acme.io",
            "since": "2026-03-02T09:00:00Z",
            "days_in_stage": 20.0,
        },
        {
            "lead": "d2@x.io",
            "owner": "ae2@acme.io",
            "since": "2026-03-06T09:00:00Z",
            "days_in_stage": 16.0,
        },
    ]
    assert steps["negotiation"]["weighted_amount"] == 4000
    mine = json.loads(cli("pipeline", "board", "--owner", "ae1@acme.io", "-f", "json").stdout)
    assert [step["leads"] for step in mine] == [0, 0, 0, 1, 0, 1, 0]
    aes = json.loads(cli("pipeline", "board", "--role", "ae", "-f", "json").stdout)
    assert [step["leads"] for step in aes] == [0, 0, 0, 2, 0, 1, 0]
    table = cli("pipeline", "board", "--as-of", NOW.isoformat()).stdout
    assert "4 demo" in table and "4,000.10" in table and "d1@x.io (20 d)" in table
    csv_lines = cli("pipeline", "board", "-f", "csv").stdout.splitlines()
    assert csv_lines[0] == "step,stage,leads,amount,probability,weighted_amount,oldest"
    bad = cli("pipeline", "board", "--role", "boss")
    assert bad.exit_code == 2 and "role 'boss' is not one of" in bad.stderr


def test_board_probabilities_from_settings_then_config(cli, store, floor, tmp_path) -> None:
    from abs_cli.store.settings import set_setting

    with store.session(write=True) as session:
        set_setting(session, "probability.demo", "0.5")
    steps = json.loads(cli("pipeline", "board", "-f", "json").stdout)
    assert steps[3]["weighted_amount"] == 2000.05
    config = tmp_path / "w.toml"
    config.write_text("[pipeline.probabilities]\ndemo = 0.25\n", encoding="utf-8")
    steps = json.loads(cli("pipeline", "board", "--config", str(config), "-f", "json").stdout)
    assert steps[3]["probability"] == 0.25 and steps[3]["weighted_amount"] == 1000.025


def test_stale_respects_limits_and_planned_activities(cli, floor, tmp_path) -> None:
    result = cli("pipeline", "stale", "--as-of", NOW.isoformat(), "-f", "json")
    rows = json.loads(result.stdout)
    assert [(row["lead"], row["stage"], row["days_over"]) for row in rows] == [
        ("p1@x.io", "prospect", 16.0),
        ("d1@x.io", "demo", 6.0),
    ]
    assert rows[1]["owner"] == "ae1@acme.io" and rows[1]["max_days"] == 14
    later = (NOW + timedelta(days=2)).isoformat()
    rows = json.loads(cli("pipeline", "stale", "--as-of", later, "-f", "json").stdout)
    assert [row["lead"] for row in rows] == ["p1@x.io", "d1@x.io", "d2@x.io"]
    config = tmp_path / "w.toml"
    config.write_text("[sla.max_days]\nprospect = 0\ndemo = 30\n", encoding="utf-8")
    args = ["--as-of", NOW.isoformat(), "--config", str(config), "-f", "json"]
    assert json.loads(cli("pipeline", "stale", *args).stdout) == []
    owned = cli(
        "pipeline", "stale", "--as-of", NOW.isoformat(), "--owner", "sdr@acme.io", "-f", "json"
    )
    assert [row["lead"] for row in json.loads(owned.stdout)] == ["p1@x.io"]


def test_activities_log_and_list(cli, floor) -> None:
    logged = cli(
        "activities",
        "log",
        "p1@x.io",
        "--type",
        "Call",
        "--outcome",
        "connected",
        "--rep",
        "sdr@acme.io",
        "--at",
        "2026-03-20T10:00:00",
    )
    assert logged.exit_code == 0 and "logged call on p1@x.io" in logged.stderr
    planned = cli(
        "activities",
        "log",
        "p1@x.io",
        "--type",
        "meeting",
        "--at",
        "2026-03-20T10:05:00",
        "--due",
        "2026-03-25T14:00:00Z",
        "--rep",
        "sdr@acme.io",
        "--notes",
        "with ae1",
    )
    assert "due 2026-03-25 14:00" in planned.stderr
    again = cli(
        "activities", "log", "p1@x.io", "--type", "call", "--at", "2026-03-20T10:00:00+00:00"
    )
    assert again.exit_code == 3
    assert "lead p1@x.io already has a call at 2026-03-20T10:00:00Z" in again.stderr
    bad = cli("activities", "log", "p1@x.io", "--type", "lunch")
    assert bad.exit_code == 3 and "activity type 'lunch' is not one of call, email" in bad.stderr
    ghost = cli("activities", "log", "ghost@x.io", "--type", "call")
    assert (
        ghost.exit_code == 3 and "no lead with e-mail or external id 'ghost@x.io'" in ghost.stderr
    )
    rows = json.loads(cli("activities", "list", "--rep", "sdr@acme.io", "-f", "json").stdout)
    assert rows == [
        {
            "occurred_at": "2026-03-20T10:05:00Z",
            "lead": "p1@x.io",
            "type": "meeting",
            "outcome": None,
            "rep": "sdr@acme.io",
            "due_at": "2026-03-25T14:00:00Z",
            "content": None,
            "notes": "with ae1",
        },
        {
            "occurred_at": "2026-03-20T10:00:00Z",
            "lead": "p1@x.io",
            "type": "call",
            "outcome": "connected",
            "rep": "sdr@acme.io",
            "due_at": None,
            "content": None,
            "notes": None,
        },
    ]
    assert len(json.loads(cli("activities", "list", "--planned", "-f", "json").stdout)) == 2
    calls = cli("activities", "list", "--type", "call", "--from", "2026-03-20T10:00", "-f", "json")
    assert [row["lead"] for row in json.loads(calls.stdout)] == ["p1@x.io"]
    window = cli("activities", "list", "--lead", "d2@x.io", "--to", "2026-03-20", "-f", "json")
    assert [row["type"] for row in json.loads(window.stdout)] == ["call"]


def test_queue_orders_by_breach_then_score_then_age(cli, floor) -> None:
    result = cli("queue", "--as-of", NOW.isoformat(), "-f", "json")
    rows = json.loads(result.stdout)
    assert [(row["lead"], row["sla"]) for row in rows] == [
        ("p1@x.io", "prospect over its limit by 16.0 d"),
        ("d1@x.io", "demo over its limit by 6.0 d"),
        ("in@x.io", "speed-to-lead breached by 2.0 h"),
        ("p2@x.io", None),
        ("d2@x.io", None),
        ("n1@x.io", None),
        ("in2@x.io", None),
    ]
    assert rows[2]["next_action"] == "call now: first touch is overdue"
    assert rows[3]["score"] == 90
    assert rows[4]["next_action"] == "send a proposal with the deal amount (planned activity due)"
    assert rows[4]["next_due"] == "2026-03-23T09:00:00Z"
    later = (NOW + timedelta(minutes=45)).isoformat()
    breached = json.loads(cli("queue", "--role", "ir", "--as-of", later, "-f", "json").stdout)
    assert [row["lead"] for row in breached if row["sla"]] == ["in@x.io", "in2@x.io"]
    cli("activities", "log", "in@x.io", "--type", "email", "--at", NOW.isoformat())
    touched = json.loads(cli("queue", "--rep", "ir@acme.io", "--as-of", later, "-f", "json").stdout)
    assert [(row["lead"], row["sla"] is None) for row in touched] == [
        ("in2@x.io", False),
        ("in@x.io", True),
    ]
    limited = json.loads(cli("queue", "--as-of", NOW.isoformat(), "-n", "2", "-f", "json").stdout)
    assert [row["rank"] for row in limited] == [1, 2]


def test_goals_with_actuals_and_attainment(cli, store, floor) -> None:
    for email, role in (("ana@acme.io", "sdr"), ("cs@acme.io", "cs")):
        cli("team", "add", email, "--role", role)
    cli(
        "pipeline",
        "advance",
        "p1@x.io",
        "p2@x.io",
        "--rep",
        "sdr@acme.io",
        "--force",
        "--reason",
        "booked",
        "--at",
        "2026-03-23T10:00:00",
    )
    cli(
        "pipeline",
        "advance",
        "n1@x.io",
        "--to",
        "customer",
        "--rep",
        "ae1@acme.io",
        "--at",
        "2026-03-24T10:00:00",
    )
    cli(
        "pipeline",
        "lose",
        "d1@x.io",
        "--reason",
        "price",
        "--rep",
        "ae1@acme.io",
        "--at",
        "2026-03-24T11:00:00",
    )
    cli(
        "pipeline",
        "lose",
        "d2@x.io",
        "--reason",
        "price",
        "--rep",
        "ae2@acme.io",
        "--at",
        "2026-04-01T11:00:00",
    )
    cli(
        "activities",
        "log",
        "p2@x.io",
        "--type",
        "call",
        "--rep",
        "ana@acme.io",
        "--at",
        "2026-03-10T10:00:00",
    )
    cli(
        "activities",
        "log",
        "p2@x.io",
        "--type",
        "email",
        "--rep",
        "ana@acme.io",
        "--at",
        "2026-03-11T10:00:00",
    )
    for args in (
        ["--metric", "meetings_booked", "--target", "4", "--role", "sdr"],
        ["--metric", "calls", "--target", "2", "--rep", "ana@acme.io"],
        ["--metric", "won_amount", "--target", "10000", "--rep", "ae1@acme.io"],
        ["--metric", "win_rate", "--target", "0.5", "--rep", "ae1@acme.io"],
        ["--metric", "activities", "--target", "0"],
    ):
        result = cli("goals", "set", *args, "--period", "2026-03")
        assert result.exit_code == 0, result.stderr
    cli(
        "goals",
        "set",
        "--metric",
        "calls",
        "--target",
        "5",
        "--rep",
        "ana@acme.io",
        "--period",
        "2026-03",
    )
    rows = json.loads(cli("goals", "list", "--period", "2026-03", "-f", "json").stdout)
    assert rows == [
        {
            "month": "2026-03",
            "role": None,
            "rep": None,
            "metric": "activities",
            "target": 0,
            "actual": 3,
            "attainment": None,
        },
        {
            "month": "2026-03",
            "role": "sdr",
            "rep": None,
            "metric": "meetings_booked",
            "target": 4,
            "actual": 2,
            "attainment": 0.5,
        },
        {
            "month": "2026-03",
            "role": None,
            "rep": "ae1@acme.io",
            "metric": "win_rate",
            "target": 0.5,
            "actual": 0.5,
            "attainment": 1,
        },
        {
            "month": "2026-03",
            "role": None,
            "rep": "ae1@acme.io",
            "metric": "won_amount",
            "target": 10000,
            "actual": 5000,
            "attainment": 0.5,
        },
        {
            "month": "2026-03",
            "role": None,
            "rep": "ana@acme.io",
            "metric": "calls",
            "target": 5,
            "actual": 1,
            "attainment": 0.2,
        },
    ]
    table = cli("goals", "list").stdout
    assert "meetings_booked" in table and "50.0%" in table
    for args, message in (
        (
            ["--metric", "naps", "--target", "1", "--period", "2026-03"],
            "metric 'naps' is not one of",
        ),
        (
            ["--metric", "calls", "--target", "x", "--period", "2026-03"],
            "target 'x' is not a number",
        ),
        (
            ["--metric", "calls", "--target", "1", "--period", "2026-13"],
            "period '2026-13' is not a month",
        ),
        (
            ["--metric", "calls", "--target", "-1", "--period", "2026-03"],
            "target -1 must be a number",
        ),
        (
            [
                "--metric",
                "calls",
                "--target",
                "1",
                "--period",
                "2026-03",
                "--role",
                "sdr",
                "--rep",
                "ana@acme.io",
            ],
            "a goal is for a role or for a rep, not both",
        ),
    ):
        result = cli("goals", "set", *args)
        assert result.exit_code == 2 and message in result.stderr  # the command line is wrong


def test_team_actuals_core(store, floor) -> None:
    assert month_bounds("2026-12")[1].isoformat() == "2027-01-01T00:00:00+00:00"
    with store.session() as session:
        figures = team_actuals(session, "2026-03")
    assert goal_actual(figures, "activities", None) == 1
    assert goal_actual(figures, "win_rate", None) is None
    assert goal_actual(figures, "calls", [999]) == 0
