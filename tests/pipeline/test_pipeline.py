"""`abs pipeline`: transition rules, gates, exits, handoffs, bulk moves and the history."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_data import T0, add_activity, add_leads, add_reps, add_score
from sqlalchemy import func, select

from abs_cli.domain import STAGES
from abs_cli.pipeline.config import WorkflowConfig
from abs_cli.pipeline.moves import Move, advance, history
from abs_cli.store.models import AssignmentLog, Lead, StageHistory


@pytest.fixture
def team(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with store.session(write=True) as session:
        reps = add_reps(
            session,
            ("sdr@acme.io", "sdr"),
            ("ir@acme.io", "ir"),
            ("ae1@acme.io", "ae"),
            ("ae2@acme.io", "ae"),
            ("cs@acme.io", "cs"),
        )
    return reps


def put(store, team, email: str, stage: str = "prospect", *, scored: bool = True, **extra) -> int:  # type: ignore[no-untyped-def]
    """One lead at `stage`, owned by the usual role for it unless told otherwise, with a
    sales-ready score (the readiness gate of `qualified` refuses an unscored lead)."""
    owner = {"prospect": "sdr", "qualified": "sdr", "customer": "cs"}.get(stage, "ae1")
    row = {"email": email, "stage": stage, "owner_id": team[f"{owner}@acme.io"]} | extra
    with store.session(write=True) as session:
        lead_id = add_leads(session, [row])[email]
        if scored:
            add_score(session, lead_id, 90, "sql")
    return lead_id


def moves(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(result.stdout)


def lead_state(store, lead_id: int) -> tuple:  # type: ignore[no-untyped-def]
    with store.session() as session:
        row = session.execute(
            select(Lead.stage, Lead.owner_id, Lead.amount).where(Lead.id == lead_id)
        ).one()
    return tuple(row)


def test_forward_one_step_records_history(cli, store, team) -> None:
    lead = put(store, team, "ana@client.io")
    result = cli("pipeline", "advance", "ANA@client.io", "--rep", "sdr@acme.io", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert moves(result) == [
        {
            "lead": "ana@client.io",
            "status": "moved",
            "from_stage": "prospect",
            "to_stage": "qualified",
            "owner": "sdr@acme.io",
            "message": "",
        }
    ]
    assert lead_state(store, lead) == ("qualified", team["sdr@acme.io"], None)
    with store.session() as session:
        (row,) = history(session, "ana@client.io")
    assert row["from_stage"] == "prospect" and row["to_stage"] == "qualified"
    assert (row["rep"], row["owner"], row["forced"], row["origin"]) == (
        "sdr@acme.io",
        "sdr@acme.io",
        False,
        "cli",
    )


def test_acting_rep_from_environment(cli, store, team, monkeypatch) -> None:
    put(store, team, "ana@client.io")
    monkeypatch.setenv("ABS_REP", "ir@acme.io")
    assert cli("pipeline", "advance", "ana@client.io").exit_code == 0
    rows = json.loads(cli("pipeline", "history", "ana@client.io", "-f", "json").stdout)
    assert [row["rep"] for row in rows] == ["ir@acme.io"]


REFUSALS = [
    (
        "prospect",
        ["--to", "demo"],
        "moving from prospect to demo skips 2 steps; pass --force and --reason to do it anyway",
    ),
    (
        "proposal",
        ["--to", "3"],
        "moving back from proposal to discovery; pass --force and --reason to do it anyway",
    ),
    (
        "lost",
        ["--to", "discovery"],
        "reopening a lost lead at discovery; pass --force and --reason to do it anyway",
    ),
    ("lost", [], "the lead is lost; reopen it with --to STAGE --force --reason"),
    ("customer", [], "the lead is a customer, the last step; use `abs pipeline churn`"),
    ("demo", ["--to", "demo"], "the lead is already at demo"),
    ("prospect", ["--to", "demo", "--force"], "a forced move needs --reason, recorded"),
    (
        "qualified",
        [],
        "gate discovery: needs a held meeting activity; log one with "
        "`abs activities log LEAD --type meeting` or pass --force --reason",
    ),
    ("demo", [], "gate proposal: needs a deal amount; pass --amount"),
]


def test_refused_moves_say_why(cli, store, team) -> None:
    for number, (stage, args, message) in enumerate(REFUSALS):
        email = f"lead{number}@client.io"
        lead = put(store, team, email, stage)
        result = cli("pipeline", "advance", email, *args, "-f", "json")
        assert result.exit_code == 3, (stage, args)
        (line,) = moves(result)
        assert line["status"] == "refused"
        assert message in line["message"]
        assert "1 of 1 leads were not moved; see their lines" in result.stderr
        assert lead_state(store, lead)[0] == stage
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(StageHistory)) == 0


def test_forced_skip_and_back_are_recorded(cli, store, team) -> None:
    lead = put(store, team, "ana@client.io")
    args = ["--to", "proposal", "--force", "--reason", "inbound RFP", "--amount", "12,000.50"]
    result = cli("pipeline", "advance", "ana@client.io", *args, "-f", "json")
    assert result.exit_code == 0, result.stdout
    assert lead_state(store, lead)[0::2] == ("proposal", Decimal("12000.50"))
    back = ["--to", "2", "--force", "--reason", "no budget yet"]
    assert cli("pipeline", "advance", "ana@client.io", *back).exit_code == 0
    rows = json.loads(cli("pipeline", "history", "ana@client.io", "-f", "json").stdout)
    assert [(r["to_stage"], r["forced"], r["reason"], r["amount"]) for r in rows] == [
        ("proposal", True, "inbound RFP", 12000.5),
        ("qualified", True, "no budget yet", 12000.5),
    ]


def test_qualified_gate_refuses_low_and_missing_scores(cli, store, team) -> None:
    cold = put(store, team, "cold@client.io", scored=False)
    hot = put(store, team, "hot@client.io", scored=False)
    new = put(store, team, "new@client.io", scored=False)
    with store.session(write=True) as session:
        add_score(session, cold, 41, "mql")
        add_score(session, hot, 88, "sql")
    result = cli(
        "pipeline", "advance", "cold@client.io", "hot@client.io", "new@client.io", "-f", "json"
    )
    assert result.exit_code == 3
    statuses = {line["lead"]: (line["status"], line["message"]) for line in moves(result)}
    assert statuses == {
        "cold@client.io": (
            "refused",
            "gate qualified: needs readiness sql, the lead's score 41 is mql; "
            "raise the score or pass --force --reason",
        ),
        "hot@client.io": ("moved", ""),
        "new@client.io": (
            "refused",
            "gate qualified: needs readiness sql, the lead has no score; "
            "score it with `abs leads score` or pass --force --reason",
        ),
    }
    forced = ["--force", "--reason", "manager call"]
    assert cli("pipeline", "advance", "cold@client.io", "new@client.io", *forced).exit_code == 0
    assert lead_state(store, cold)[0] == lead_state(store, new)[0] == "qualified"


def test_discovery_gate_needs_a_held_meeting_and_hands_to_an_ae(cli, store, team) -> None:
    lead = put(store, team, "ana@client.io", "qualified")
    planned = put(store, team, "bob@client.io", "qualified")
    with store.session(write=True) as session:
        add_activity(session, lead, "meeting", T0)
        add_activity(session, planned, "meeting", T0, due_at=T0 + timedelta(days=9000))
    result = cli(
        "pipeline",
        "advance",
        "ana@client.io",
        "bob@client.io",
        "--rep",
        "sdr@acme.io",
        "-f",
        "json",
    )
    ana, bob = moves(result)
    assert ana["status"] == "moved" and ana["owner"] == "ae1@acme.io"
    assert ana["message"] == "handed to ae1@acme.io (ae, round_robin)"
    assert bob["status"] == "refused" and bob["message"].startswith("gate discovery")
    rows = json.loads(cli("pipeline", "history", "ana@client.io", "-f", "json").stdout)
    assert (rows[0]["rep"], rows[0]["owner"]) == ("sdr@acme.io", "ae1@acme.io")
    with store.session() as session:
        log = session.execute(select(AssignmentLog.lead_id, AssignmentLog.role)).all()
    assert [tuple(row) for row in log] == [(lead, "ae")]


def test_win_hands_to_customer_success_and_exits_need_reasons(cli, store, team) -> None:
    put(store, team, "ana@client.io", "negotiation", amount=Decimal("9000"))
    put(store, team, "bob@client.io", "demo")
    put(store, team, "eve@client.io", "qualified")
    won = moves(cli("pipeline", "win", "ana@client.io", "--rep", "ae1@acme.io", "-f", "json"))
    assert won[0]["to_stage"] == "customer" and won[0]["owner"] == "cs@acme.io"
    rows = json.loads(cli("pipeline", "history", "ana@client.io", "-f", "json").stdout)
    assert (rows[-1]["rep"], rows[-1]["owner"], rows[-1]["amount"]) == (
        "ae1@acme.io",
        "cs@acme.io",
        9000,
    )
    missing = cli("pipeline", "lose", "bob@client.io")
    assert missing.exit_code == 2 and "--reason" in missing.stderr
    assert cli("pipeline", "lose", "bob@client.io", "--reason", "price").exit_code == 0
    wrong = cli("pipeline", "lose", "eve@client.io", "--reason", "price", "-f", "json")
    assert wrong.exit_code == 3
    assert moves(wrong)[0]["message"] == (
        "lost is reached from discovery, demo, proposal, negotiation, not from qualified; "
        "pass --force and --reason to do it anyway"
    )
    assert cli("pipeline", "disqualify", "eve@client.io", "--reason", "student").exit_code == 0
    assert cli("pipeline", "churn", "ana@client.io", "--reason", "budget cut").exit_code == 0
    states = [
        json.loads(cli("pipeline", "history", key, "-f", "json").stdout)[-1]["to_stage"]
        for key in ("ana@client.io", "bob@client.io", "eve@client.io")
    ]
    assert states == ["churned", "lost", "disqualified"]


def test_handoff_without_an_available_rep_leaves_the_lead_unassigned(cli, store, team) -> None:
    cli("team", "deactivate", "cs@acme.io")
    lead = put(store, team, "ana@client.io", "negotiation", amount=Decimal("10"))
    line = moves(cli("pipeline", "win", "ana@client.io", "-f", "json"))[0]
    assert line["status"] == "moved" and line["owner"] is None
    assert line["message"] == "unassigned: no active cs rep with free capacity"
    assert lead_state(store, lead)[:2] == ("customer", None)


def test_bulk_from_stdin_with_failures_and_duplicates(cli, store, team) -> None:
    with store.session(write=True) as session:
        ids = add_leads(
            session,
            [{"email": f"l{n}@client.io", "external_id": f"crm-{n}"} for n in range(30)]
            + [{"email": "done@client.io", "stage": "lost"}],
        )
        for lead_id in ids.values():
            add_score(session, lead_id, 90, "sql")
    keys = [f"l{n}@client.io" for n in range(25)] + ["crm-25", "", "ghost@client.io"]
    keys += ["done@client.io", "l3@client.io", "crm-3"]
    result = cli("pipeline", "advance", "-", "-f", "jsonl", input="\n".join(keys) + "\n")
    assert result.exit_code == 3
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 30
    assert sum(line["status"] == "moved" for line in lines) == 26
    assert lines[25]["lead"] == "l25@client.io"
    assert lines[26] == {
        "lead": "ghost@client.io",
        "status": "not found",
        "from_stage": None,
        "to_stage": None,
        "owner": None,
        "message": "no lead with e-mail or external id 'ghost@client.io'",
    }
    assert lines[27]["message"].startswith("the lead is lost")
    assert lines[28]["message"] == lines[29]["message"] == "listed more than once"
    assert "4 of 30 leads were not moved" in result.stderr
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(StageHistory)) == 26


def test_bulk_core_in_small_chunks_keeps_order(store, team) -> None:
    with store.session(write=True) as session:
        ids = add_leads(session, [{"email": f"l{n}@client.io"} for n in range(50)])
        for lead_id in ids.values():
            add_score(session, lead_id, 90, "sql")
    keys = [f"l{n}@client.io" for n in reversed(range(50))] + ["l0@client.io"]
    move = Move(at=T0 + timedelta(days=1))
    results = list(advance(store, keys, move, WorkflowConfig(), now=T0, chunk_size=7))
    assert [result.lead for result in results] == keys
    assert [result.status for result in results] == ["moved"] * 50 + ["refused"]


def test_dry_run_changes_nothing(cli, store, team) -> None:
    lead = put(store, team, "ana@client.io")
    result = cli("pipeline", "advance", "ana@client.io", "--dry-run", "-f", "json")
    assert result.exit_code == 0 and moves(result)[0]["status"] == "would move"
    assert lead_state(store, lead)[0] == "prospect"
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(StageHistory)) == 0


def test_at_is_validated_against_the_current_stage(cli, store, team) -> None:
    put(store, team, "ana@client.io")
    early = cli("pipeline", "advance", "ana@client.io", "--at", "2026-01-01", "-f", "json")
    assert moves(early)[0]["message"] == (
        "--at 2026-01-01T00:00:00Z is before the lead entered prospect (2026-03-02T09:00:00Z)"
    )
    bad = cli("pipeline", "advance", "ana@client.io", "--at", "yesterday")
    assert bad.exit_code == 2 and "--at 'yesterday' is not an ISO 8601 time" in bad.stderr
    ok = cli("pipeline", "advance", "ana@client.io", "--at", "2026-03-03T10:00:00+01:00")
    assert ok.exit_code == 0
    rows = json.loads(cli("pipeline", "history", "ana@client.io", "-f", "json").stdout)
    assert rows[0]["changed_at"] == "2026-03-03T09:00:00Z"


def test_bad_options_are_rejected_before_any_move(cli, store, team) -> None:
    put(store, team, "ana@client.io")
    assert (
        "--amount 'lots' is not a number"
        in cli("pipeline", "advance", "ana@client.io", "--amount", "lots").stderr
    )
    unknown = cli("pipeline", "advance", "ana@client.io", "--to", "heaven")
    assert unknown.exit_code == 2 and "--to: unknown stage 'heaven'" in unknown.stderr
    both = cli("pipeline", "advance", "ana@client.io", "--to", "2", "--next")
    assert both.exit_code == 2 and "give --to or --next, not both" in both.stderr
    nobody = cli("pipeline", "advance", "ana@client.io", "--rep", "nobody@acme.io")
    assert nobody.exit_code == 3 and "no rep 'nobody@acme.io' on the team" in nobody.stderr
    history_of_ghost = cli("pipeline", "history", "ghost@client.io")
    assert history_of_ghost.exit_code == 3


def test_exit_via_advance_needs_a_reason(cli, store, team) -> None:
    put(store, team, "ana@client.io", "demo")
    result = cli("pipeline", "advance", "ana@client.io", "--to", "lost")
    assert result.exit_code == 2
    assert "moving a lead to lost needs --reason" in result.stderr
    long = cli("pipeline", "lose", "ana@client.io", "--reason", "x" * 501)
    assert long.exit_code == 2 and "--reason is 501 characters long; at most 500" in long.stderr


STAGE_CHOICES = [None, *STAGES, "lost", "disqualified", "churned"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(STAGE_CHOICES), st.booleans(), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_history_always_replays_to_the_lead(tmp_path_factory, steps) -> None:
    """Whatever is asked, every move is one history row and the rows replay to the lead."""
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation, to_url
    from abs_cli.store.migrate import ensure_current

    location = StoreLocation(to_url(str(tmp_path_factory.mktemp("h") / "abs.db")), "test")
    store = Store(location, make_engine(location))
    ensure_current(store)
    with store.session(write=True) as session:
        add_reps(session, ("sdr@acme.io", "sdr"), ("ae@acme.io", "ae"), ("cs@acme.io", "cs"))
        add_leads(session, [{"email": "p@x.io"}])
    moved = 0
    for number, (to, force, amount) in enumerate(steps, start=1):
        move = Move(
            to=to,
            force=force,
            reason="why" if force or to in ("lost", "disqualified", "churned") else None,
            amount=Decimal(100) if amount else None,
            at=T0 + timedelta(hours=number),
        )
        (result,) = advance(store, ["p@x.io"], move, WorkflowConfig(), now=T0)
        moved += result.status == "moved"
    with store.session() as session:
        rows = history(session, "p@x.io")
        stage = session.scalar(select(Lead.stage))
    store.dispose()
    assert len(rows) == moved
    replayed = "prospect"
    for row in rows:
        assert row["from_stage"] == replayed and row["to_stage"] != replayed
        replayed = row["to_stage"]
    assert replayed == stage
    assert all(row["forced"] or row["to_stage"] != "proposal" or row["amount"] for row in rows)
