"""`stage_stay`: the history replayed once, and kept equal to it by every writer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_data import T0, at, open_store, seed
from sqlalchemy import func, select

from abs_cli.domain import ALL_STAGES
from abs_cli.store.models import Lead, StageHistory, StageStay
from abs_cli.store.stays import refresh_stays

ST = StageStay


def stored(session) -> list[tuple]:  # type: ignore[no-untyped-def]
    query = select(
        ST.history_id,
        ST.lead_id,
        ST.stage,
        ST.entered_at,
        ST.left_at,
        ST.changed,
        ST.from_stage,
        ST.stay_started_at,
        ST.rep_id,
        ST.amount,
    ).order_by(ST.history_id)
    return [tuple(row) for row in session.execute(query)]


def assert_fresh(store) -> None:  # type: ignore[no-untyped-def]
    """The stored stays are exactly those recomputed from the history now."""
    with store.session() as session:
        before = stored(session)
        history = session.scalar(select(func.count()).select_from(StageHistory))
    with store.session(write=True) as session:
        refresh_stays(session)
        assert stored(session) == before
    assert len(before) == history


def test_a_hand_computed_history(store) -> None:
    seed(
        store,
        rep=[{"id": 1, "email": "ae@acme.io", "role": "ae"}],
        lead=[{"id": 1, "email": "a@x.io", "created_at": "2026-01-01"}],
        stage_history=[
            {"id": 1, "lead_id": 1, "to_stage": "qualified", "changed_at": "2026-01-05"},
            {"id": 2, "lead_id": 1, "to_stage": "discovery", "changed_at": "2026-01-10"}
            | {"amount": 100, "rep_id": 1},
            {"id": 3, "lead_id": 1, "to_stage": "discovery", "changed_at": "2026-01-12"}
            | {"amount": 150},
            {"id": 4, "lead_id": 1, "to_stage": "demo", "changed_at": "2026-01-20"},
            {"id": 6, "lead_id": 1, "to_stage": "negotiation", "changed_at": "2026-01-25"},
            {"id": 5, "lead_id": 1, "to_stage": "proposal", "changed_at": "2026-01-25"},
        ],
    )
    with store.session() as session:
        rows = stored(session)
    expected = [
        # history_id, stage, entered_at, left_at, changed, from_stage, stay_started_at,
        # rep_id, amount (the lead is 1 throughout)
        (1, "qualified", "2026-01-05", "2026-01-10", True, "prospect", "2026-01-01", None, None),
        (2, "discovery", "2026-01-10", "2026-01-12", True, "qualified", "2026-01-05", 1, 100),
        (3, "discovery", "2026-01-12", "2026-01-20", False, "discovery", "2026-01-10", None, 150),
        (4, "demo", "2026-01-20", "2026-01-25", True, "discovery", "2026-01-10", None, 150),
        (5, "proposal", "2026-01-25", "2026-01-25", True, "demo", "2026-01-20", None, 150),
        (6, "negotiation", "2026-01-25", None, True, "proposal", "2026-01-25", None, 150),
    ]
    assert rows == [
        (i, 1, stage, at(entered), left and at(left), changed, previous, at(began), rep, cents)
        for i, stage, entered, left, changed, previous, began, rep, amount in expected
        for cents in [None if amount is None else Decimal(amount)]
    ]


def test_history_before_creation_and_a_first_row_into_prospect(store) -> None:
    seed(
        store,
        lead=[
            {"id": 1, "email": "a@x.io", "created_at": "2026-01-10"},
            {"id": 2, "email": "b@x.io", "created_at": "2026-01-10"},
        ],
        stage_history=[
            {"id": 1, "lead_id": 1, "to_stage": "demo", "changed_at": "2026-01-01"},
            {"id": 2, "lead_id": 2, "to_stage": "prospect", "changed_at": "2026-01-10"},
        ],
    )
    with store.session() as session:
        rows = [row[5:8] for row in stored(session)]
    assert rows == [(True, None, at("2026-01-10")), (False, "prospect", at("2026-01-10"))]


HISTORY_ROWS = st.lists(
    st.tuples(
        st.integers(1, 3),  # lead
        st.sampled_from(ALL_STAGES),
        st.integers(0, 12),  # day: ties are likely
        st.one_of(st.none(), st.integers(1, 9)),  # amount
    ),
    max_size=25,
)


def naive_state(history: list[tuple[int, int, str, int, int | None]], lead: int, day: float):  # type: ignore[no-untyped-def]
    """(stage, amount) of a lead just before `day`: its last row before then, in (day, id)
    order, and the last amount given up to that row."""
    rows = sorted((d, i, stage, amount) for i, of, stage, d, amount in history if of == lead)
    stage, amount = None, None
    for d, _, to_stage, cents in rows:
        if d >= day:
            break
        stage = to_stage
        amount = cents if cents is not None else amount
    return stage, amount


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=HISTORY_ROWS)
def test_stays_give_the_state_at_any_moment(tmp_path_factory, rows) -> None:
    """The stay row with entered_at < T <= left_at (or open) is the lead's last row before T."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('s') / 'abs.db'}")
    seen: set[tuple[int, int, str]] = set()
    history = []
    for number, (lead, stage, day, amount) in enumerate(rows, start=1):
        if (lead, day, stage) not in seen:  # unique (lead_id, changed_at, to_stage)
            seen.add((lead, day, stage))
            history.append((number, lead, stage, day, amount))
    seed(
        store,
        lead=[{"id": n, "email": f"{n}@x.io", "created_at": "2026-01-01"} for n in (1, 2, 3)],
        stage_history=[
            {"id": i, "lead_id": lead, "to_stage": stage}
            | {"changed_at": T0 + timedelta(days=day), "amount": amount}
            for i, lead, stage, day, amount in history
        ],
    )
    with store.session() as session:
        for day in range(0, 14):
            moment = T0 + timedelta(days=day)
            found = dict.fromkeys((1, 2, 3), (None, None))
            query = select(ST.lead_id, ST.stage, ST.amount).where(
                ST.entered_at < moment, (ST.left_at.is_(None)) | (ST.left_at >= moment)
            )
            for lead, stage, amount in session.execute(query):
                assert found[lead] == (None, None), "two stays cover one moment"
                found[lead] = (stage, None if amount is None else int(amount))
            assert found == {lead: naive_state(history, lead, day) for lead in (1, 2, 3)}
        changes = session.execute(
            select(ST.lead_id, ST.from_stage, ST.stage).where(ST.changed).order_by(ST.history_id)
        ).all()
    store.dispose()
    for lead, previous, stage in changes:
        assert previous != stage, (lead, previous, stage)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_writer_keeps_the_stays_fresh(cli, store, tmp_path: Path) -> None:
    for email, role in (("sdr@acme.io", "sdr"), ("ae@acme.io", "ae"), ("cs@acme.io", "cs")):
        assert cli("team", "add", email, "--role", role).exit_code == 0
    leads = write(
        tmp_path,
        "leads.csv",
        "email,stage,created_at\n"
        "a@x.io,,2026-01-02\nb@x.io,qualified,2026-01-03\nc@x.io,demo,2026-01-04\n"
        "d@x.io,negotiation,2026-01-05\ne@x.io,,2026-01-06\n",
    )
    assert cli("leads", "import", str(leads)).exit_code == 0
    assert_fresh(store)
    steps = [
        (
            "pipeline",
            "advance",
            "a@x.io",
            "--force",
            "--reason",
            "unscored",
            "--at",
            "2026-02-01T10:00:00Z",
        ),
        ("pipeline", "advance", "-", "--force", "--reason", "fast", "--at", "2026-02-02T10:00:00Z"),
        ("pipeline", "win", "d@x.io", "--amount", "900", "--at", "2026-02-03T10:00:00Z"),
        ("pipeline", "lose", "c@x.io", "--reason", "price", "--at", "2026-02-04T10:00:00Z"),
    ]
    for step in steps:  # advance, bulk (from stdin), win, lose
        given = "b@x.io\ne@x.io\n" if "-" in step else None
        result = cli(*step, input=given)
        assert result.exit_code == 0, result.stderr
        assert_fresh(store)
    deals = write(
        tmp_path,
        "deals.csv",
        "email,stage,date,value\n"
        "e@x.io,discovery,2026-01-20,500\nf@x.io,demo,2026-01-21,700\n"
        "a@x.io,discovery,2026-01-15,300\n",
    )
    assert cli("pipeline", "import", str(deals)).exit_code == 0
    assert_fresh(store)
    moved = write(tmp_path, "again.csv", "email,stage,created_at\nb@x.io,proposal,2025-12-01\n")
    assert cli("leads", "import", str(moved)).exit_code == 0
    assert_fresh(store)
    twice = "email,stage,created_at\ng@x.io,,2026-01-07\nh@x.io,,2026-01-08\ng@x.io,demo,\n"
    for size in ("1", "2", "1000"):  # created, then moved, in one transaction or two
        path = write(tmp_path, "twice.csv", twice.replace("@x.io", f"{size}@x.io"))
        assert cli("leads", "import", str(path), "--batch-size", size).exit_code == 0
        assert_fresh(store)
    assert cli("leads", "forget", "c@x.io").exit_code == 0
    assert_fresh(store)
    with store.session() as session:
        first = session.execute(
            select(ST.stage, ST.from_stage, ST.stay_started_at)
            .join(Lead, Lead.id == ST.lead_id)
            .where(Lead.email == "b@x.io")
            .order_by(ST.entered_at)
            .limit(1)
        ).one()
    assert tuple(first) == ("qualified", "prospect", at("2025-12-01"))  # the new creation
