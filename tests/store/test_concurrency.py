"""Two processes advancing and assigning leads on one store at the same time."""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest
from pipeline_data import add_leads, add_reps
from sqlalchemy import func, select

from abs_cli.store.engine import Store, make_engine
from abs_cli.store.location import StoreLocation
from abs_cli.store.models import AssignmentLog, Lead, StageHistory

LEADS = 200


def _open(url: str) -> Store:
    location = StoreLocation(url, "test")
    return Store(location, make_engine(location))


def _worker(url: str, keys: list[str], barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Advance `keys` to discovery (AE handoff) while assigning new leads, in small batches."""
    from abs_cli.pipeline.config import WorkflowConfig
    from abs_cli.pipeline.moves import Move, advance
    from abs_cli.pipeline.routing import assign_leads
    from abs_cli.values import now

    store = _open(url)
    config = WorkflowConfig()
    move = Move(to="discovery", force=True, reason="race")
    barrier.wait()
    assigned: list[int] = []
    moved = 0
    for start in range(0, len(keys), 20):
        outcome = advance(store, keys[start : start + 20], move, config, now=now(), chunk_size=10)
        moved += sum(result.status == "moved" for result in outcome)
        with store.session(write=True) as session:
            batch = assign_leads(session, config, now=now(), unassigned=True, limit=15)
        assigned += [a.lead_id for a in batch]
    store.dispose()
    results.put((moved, assigned))


@pytest.mark.slow
def test_two_processes_advance_and_assign_at_once(store) -> None:
    with store.session(write=True) as session:
        reps = add_reps(
            session,
            ("s1@acme.io", "sdr"),
            ("s2@acme.io", "sdr"),
            ("s3@acme.io", "sdr"),
            ("a1@acme.io", "ae"),
            ("a2@acme.io", "ae"),
        )
        add_leads(
            session,
            [
                {"email": f"q{n}@x.io", "stage": "qualified", "owner_id": reps["s1@acme.io"]}
                for n in range(LEADS)
            ]
            + [{"email": f"new{n}@x.io"} for n in range(LEADS)],
        )
    url = store.location.url
    store.dispose()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    halves = [[f"q{n}@x.io" for n in range(LEADS) if n % 2 == side] for side in (0, 1)]
    workers = [
        context.Process(target=_worker, args=(url, half, barrier, results)) for half in halves
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sum(moved for moved, _ in outcomes) == LEADS
    # 10 rounds of 15 out of 200 new leads: every round finds 15 leads to assign.
    first, second = (set(assigned) for _, assigned in outcomes)
    assert len(first) == len(second) == 75
    assert not first & second

    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(StageHistory)) == LEADS
        per_role = dict(
            session.execute(
                select(
                    AssignmentLog.role, func.count(func.distinct(AssignmentLog.lead_id))
                ).group_by(AssignmentLog.role)
            ).all()
        )
        assert per_role == {"ae": LEADS, "sdr": 150}
        assert session.scalar(select(func.count()).select_from(AssignmentLog)) == LEADS + 150
        assert session.scalar(select(func.count()).where(Lead.owner_id.is_(None))) == 50
        owners = Counter(
            session.scalars(select(Lead.owner_id).where(Lead.stage == "discovery")).all()
        )
        new_owners = Counter(
            session.scalars(
                select(Lead.owner_id).where(Lead.email.like("new%"), Lead.owner_id.is_not(None))
            ).all()
        )
    assert sorted(owners.values()) == [LEADS // 2, LEADS // 2]
    assert max(new_owners.values()) - min(new_owners.values()) <= 1
