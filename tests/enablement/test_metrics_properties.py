"""Checklist conversion against a plain-Python oracle over random journeys (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_data import T0, open_store, seed
from sqlalchemy import delete, insert

from abs_cli.domain import STAGES
from abs_cli.enablement.metrics import Window, checklist_conversion
from abs_cli.enablement.playbook import default_text, parse_playbook
from abs_cli.store import tables

PLAYBOOK = parse_playbook(default_text(), "template")
ITEMS = {stage: [item.id for item in PLAYBOOK.checklist_of(stage)] for stage in STAGES}
END = T0 + timedelta(days=31)

journeys = st.lists(
    st.fixed_dictionaries(
        {
            "steps": st.integers(0, 6),
            "exit": st.booleans(),
            "hours": st.lists(st.integers(1, 120), min_size=7, max_size=7),
            "ticks": st.lists(st.tuples(st.integers(0, 15), st.integers(0, 800)), max_size=10),
        }
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture
def sqlite_store(sqlite_url: str):  # type: ignore[no-untyped-def]
    store = open_store(sqlite_url)
    yield store
    store.dispose()


def build(journeys: list[dict]) -> tuple[list, list, list, list]:  # type: ignore[type-arg]
    """Leads, history and ticks; and the departures as (stage, when, lead id, forward)."""
    all_items = [item for stage in STAGES for item in ITEMS[stage]]
    leads, history, ticks, departures = [], [], [], []
    for lead_id, journey in enumerate(journeys, start=1):
        created = T0 + timedelta(hours=journey["hours"][0])
        leads.append({"id": lead_id, "email": f"l{lead_id}@x.io", "created_at": created})
        path = ["prospect", *STAGES[1 : journey["steps"] + 1]]
        if journey["exit"] and path[-1] != "customer":
            path.append("disqualified" if len(path) <= 2 else "lost")
        moment, previous = created, None
        for index, stage in enumerate(path):
            if index:
                moment += timedelta(hours=journey["hours"][index])
                departures.append((previous, moment, lead_id, stage in STAGES))
            history.append(
                {
                    "lead_id": lead_id,
                    "from_stage": previous,
                    "to_stage": stage,
                    "changed_at": moment,
                }
            )
            previous = stage
        for item_index, hour in journey["ticks"]:
            item = all_items[item_index % len(all_items)]
            at = T0 + timedelta(hours=hour)
            ticks.append({"lead_id": lead_id, "item": item, "checked_at": at})
    unique = {(tick["lead_id"], tick["item"]): tick for tick in ticks}
    return leads, history, list(unique.values()), departures


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=journeys)
def test_checklist_conversion_matches_a_plain_count(sqlite_store, drawn) -> None:  # type: ignore[no-untyped-def]
    leads, history, ticks, departures = build(drawn)
    with sqlite_store.session(write=True) as session:
        for table in (tables.checklist_tick, tables.stage_stay, tables.stage_history, tables.lead):
            session.execute(delete(table))
    seed(sqlite_store, lead=leads, stage_history=history)
    with sqlite_store.session(write=True) as session:
        if ticks:
            session.execute(insert(tables.checklist_tick), ticks)
    with sqlite_store.session() as session:
        rows = checklist_conversion(session, PLAYBOOK, Window(T0, END, END))
    got = {row["stage"]: row for row in rows}
    for stage in STAGES[:-1]:
        left = [d for d in departures if d[0] == stage and d[1] < END]
        done = {
            (d[2], d[1]): sum(
                1
                for tick in ticks
                if tick["lead_id"] == d[2]
                and tick["item"] in ITEMS[stage]
                and tick["checked_at"] <= d[1]
            )
            for d in left
        }
        complete = [d for d in left if done[d[2], d[1]] == len(ITEMS[stage])]
        row = got[stage]
        assert row["leads"] == len(left)
        assert row["complete"] + row["incomplete"] == len(left)
        assert row["complete"] == len(complete)
        assert row["complete_advanced"] == sum(d[3] for d in complete)
        assert row["incomplete_advanced"] == sum(d[3] for d in left) - sum(d[3] for d in complete)
        if left:
            assert row["completion"] * len(left) * len(ITEMS[stage]) == pytest.approx(
                sum(done.values())
            )
        else:
            assert row["completion"] is None
