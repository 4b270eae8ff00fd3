"""Invariants of the scoring arithmetic, over generated leads (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abs_cli.scoring.explain import build_explanation
from abs_cli.scoring.model import default_text, parse_model
from abs_cli.scoring.rules import BatchInput, compile_model, evaluate

COMPILED = compile_model(parse_model(default_text(), "default"))
N_RULES = len(COMPILED.activity_rules)
N_OUTCOMES = len(COMPILED.outcome_rules)

lead = st.fixed_dictionaries(
    {
        "title": st.sampled_from([None, "CEO", "PDG", "VP Sales", "Student", "Responsable", "x"]),
        "industry": st.sampled_from([None, "SaaS", "Retail", "software"]),
        "employees": st.one_of(st.none(), st.integers(0, 10_000)),
        "country": st.sampled_from([None, "FR", "JP", "us"]),
        "target_tier": st.sampled_from([None, 1, 2, 3]),
        "source": st.sampled_from([None, "demo_request", "cold_call", "unknown_source"]),
        "consent": st.sampled_from([None, True, False, 0, 1]),
        "email_domain": st.sampled_from([None, "gmail.com", "acme.io"]),
        "created_age": st.floats(-5, 2000),
        "weights": st.lists(st.floats(0, 40), min_size=N_RULES, max_size=N_RULES),
        "outcomes": st.lists(st.booleans(), min_size=N_OUTCOMES, max_size=N_OUTCOMES),
    }
)


@settings(max_examples=40, deadline=None)
@given(st.lists(lead, min_size=1, max_size=12))
def test_scores_stay_in_range_and_explanations_sum_to_them(leads) -> None:
    n = len(leads)
    names = ["title", "industry", "employees", "country", "target_tier", "source", "consent"]
    batch = BatchInput(
        ids=np.arange(1, n + 1),
        emails=[f"l{i}@x.io" for i in range(n)],
        fields={
            **{name: [row[name] for row in leads] for name in names},
            "email_domain": [row["email_domain"] for row in leads],
        },
        created_age=np.array([row["created_age"] for row in leads]),
        activity_weight=np.array([row["weights"] for row in leads]).T.reshape(N_RULES, n),
        activity_count=np.ceil(np.array([row["weights"] for row in leads]).T).reshape(N_RULES, n),
        outcome_hit=np.array([row["outcomes"] for row in leads], dtype=float).T.reshape(
            N_OUTCOMES, n
        ),
    )
    scores = evaluate(COMPILED, batch)
    model = COMPILED.model
    assert ((scores.score >= 0) & (scores.score <= 100)).all()
    assert ((scores.fit >= 0) & (scores.fit <= model.fit.cap)).all()
    assert ((scores.engagement >= 0) & (scores.engagement <= model.engagement.cap)).all()
    assert ((scores.negative <= 0) & (scores.negative >= -model.negative.cap)).all()
    for index in range(n):
        explanation = build_explanation(COMPILED, scores, index, datetime(2026, 1, 1, tzinfo=UTC))
        assert sum((c.points for c in explanation.contributions), Decimal(0)) == explanation.score
        grade_ok = {"A": model.grades.A, "B": model.grades.B, "C": model.grades.C}
        if explanation.grade in grade_ok:
            assert scores.fit[index] >= grade_ok[explanation.grade]
        ready = explanation.readiness
        assert (ready == "sql") == (explanation.score >= model.readiness.sql)
