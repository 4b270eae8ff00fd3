"""The fast paths of batch scoring agree with the general ones: activity codes keep the
first-match rule, SQLite's packed score write stores what the staging table stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scoring_data import add_activities, add_leads
from test_scoring_engine import AS_OF, ago, loaded, random_store, stored_scores

from abs_cli.scoring import writer
from abs_cli.scoring.engine import activity_codes, score_leads
from abs_cli.scoring.model import default_text
from abs_cli.scoring.rules import compile_model

OVERLAPPING = """
version = "o-1"
[engagement]
cap = 100
half_life_days = 10
[[engagement.rules]]
name = "replied email"
types = ["email"]
outcomes = ["replied"]
points = 9
half_life_days = 20
[[engagement.rules]]
name = "any email or call"
types = ["email", "call"]
points = 3
[[engagement.rules]]
name = "meetings"
types = ["meeting"]
points = 5
[negative]
cap = 50
[[negative.rules]]
name = "bounced"
field = "activity_outcome"
in = ["Bounced", "blocked"]
points = -40
"""


def code_of(codes, kind: str | None, outcome: str | None) -> int:  # type: ignore[no-untyped-def]
    t = codes.types.index(kind) + 1 if kind in codes.types else 0
    o = codes.outcomes.index(outcome) + 1 if outcome in codes.outcomes else 0
    return t * (len(codes.outcomes) + 1) + o


def test_activity_codes_keep_the_first_matching_rule_and_outcome_flags() -> None:
    codes = activity_codes(compile_model(loaded(OVERLAPPING).model))
    assert codes.types == ("email", "call", "meeting")
    assert codes.outcomes == ("replied", "bounced", "blocked")
    assert codes.width == 4 * 4
    expected = {
        ("email", "replied"): 0,
        ("email", "bounced"): 1,
        ("email", None): 1,
        ("call", "replied"): 1,
        ("meeting", "blocked"): 2,
        ("note", "replied"): -1,
        (None, None): -1,
    }
    assert {key: int(codes.rule[code_of(codes, *key)]) for key in expected} == expected
    assert codes.half_life.tolist() == [20.0, 10.0, 10.0]
    assert codes.hit.tolist() == [[False, False, True, True]]


def test_overlapping_rules_score_each_activity_once(store) -> None:  # type: ignore[no-untyped-def]
    with store.session(write=True) as session:
        add_leads(session, [{"id": 1, "email": "a@x.io"}, {"id": 2, "email": "b@x.io"}])
        add_activities(
            session,
            [
                {"lead_id": 1, "type": "email", "outcome": "Replied", "occurred_at": ago(20)},
                {"lead_id": 1, "type": "email", "outcome": "no answer", "occurred_at": ago(10)},
                {"lead_id": 1, "type": "call", "outcome": "replied", "occurred_at": ago(10)},
                {"lead_id": 1, "type": "meeting", "occurred_at": AS_OF + timedelta(days=1)},
                {"lead_id": 2, "type": "email", "outcome": "BLOCKED", "occurred_at": ago(1)},
            ],
        )
        score_leads(session, loaded(OVERLAPPING), as_of=AS_OF)
    # 1: 9 * 0.5 (20 days, half-life 20) + 3 * 0.5 * 2 (10 days, half-life 10) = 7.5 -> 8
    # 2: 3 * 2^-0.1 = 2.8 engagement, bounced -40: clipped to 0
    assert stored_scores(store) == {
        1: (8, 0, 8, "D", 3, "none", "o-1"),
        2: (0, 0, 3, "D", 4, "none", "o-1"),
    }


def test_packed_and_staged_writes_store_the_same_rows(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    random_store(store, leads=90, seed=11)
    model = loaded(default_text())
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF, batch_size=13)
    packed = stored_scores(store)
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF + timedelta(days=30))
    assert stored_scores(store) != packed
    monkeypatch.setattr(writer, "_pack", lambda values: None)
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF, batch_size=13)
    assert stored_scores(store) == packed


@pytest.mark.parametrize("points", [65_535, 65_536, 1_000_000])
def test_scores_too_wide_to_pack_are_stored_exactly(store, points: int) -> None:  # type: ignore[no-untyped-def]
    text = f"""
version = "w-1"
[fit]
cap = 2000000
[[fit.rules]]
name = "huge"
field = "industry"
in = ["saas"]
points = {points}
[grades]
A = 3
B = 2
C = 1
"""
    with store.session(write=True) as session:
        add_leads(session, [{"id": 7, "email": "a@x.io", "industry": "SaaS"}])
        score_leads(session, loaded(text), as_of=AS_OF)
    assert stored_scores(store) == {7: (100, points, 0, "A", 4, "sql", "w-1")}
