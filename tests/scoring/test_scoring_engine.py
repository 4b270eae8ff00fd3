"""Scoring arithmetic, decay, caps, explanations and determinism, on both backends."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from scoring_data import T0, add_accounts, add_activities, add_leads
from sqlalchemy import select, update

from abs_cli.scoring.engine import score_leads
from abs_cli.scoring.explain import explain_lead
from abs_cli.scoring.model import LoadedModel, default_text, parse_model
from abs_cli.store.models import Lead, LeadScore

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)

MODEL = """
version = "t-1"
[fit]
cap = 30
[[fit.rules]]
name = "saas"
field = "industry"
in = ["SaaS"]
points = 20
[[fit.rules]]
name = "big"
field = "employees"
min = 100
points = 15
[[fit.rules]]
name = "exec"
field = "title"
pattern = '\\b(ceo|pdg)\\b'
points = 10
[[fit.rules]]
name = "any director"
field = "title"
pattern = 'direct'
points = 5

[engagement]
cap = 40
half_life_days = 10
[engagement.sources]
half_life_days = 20
points = { demo_request = 16 }
[[engagement.rules]]
name = "meetings"
types = ["meeting"]
points = 8
[[engagement.rules]]
name = "opens"
types = ["email_open"]
points = 4
max = 5
[[engagement.rules]]
name = "replies"
types = ["email"]
outcomes = ["replied"]
points = 6

[negative]
cap = 25
[[negative.rules]]
name = "freemail"
field = "email_domain"
in = ["gmail.com"]
points = -20
[[negative.rules]]
name = "no consent"
field = "consent"
in = [false]
points = -10
[[negative.rules]]
name = "bounced"
field = "activity_outcome"
in = ["bounced"]
points = -15

[grades]
A = 30
B = 20
C = 10
[levels]
1 = 30
2 = 15
3 = 5
[readiness]
mql = 40
sql = 60
"""


def loaded(text: str = MODEL) -> LoadedModel:
    return LoadedModel(parse_model(text, "test"), text, "test")


def ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


def seed_hand_computed(store) -> None:  # type: ignore[no-untyped-def]
    with store.session(write=True) as session:
        add_accounts(
            session, [{"id": 1, "domain": "acme.io", "industry": "saas", "employees": 150}]
        )
        add_leads(
            session,
            [
                {"id": 1, "email": "ceo@acme.io", "title": "CEO", "industry": "SaaS",
                 "employees": 500, "source": "demo_request", "created_at": ago(20)},
                {"id": 2, "email": "kid@gmail.com", "title": "Directeur commercial",
                 "source": "webinar", "consent": False},
                {"id": 3, "email": "vp@acme.io", "account_id": 1, "consent": None,
                 "source": "demo_request", "created_at": ago(40)},
                {"id": 4, "email": "half@acme.io", "employees": 100},
            ],
        )  # fmt: skip
        add_activities(
            session,
            [
                {"lead_id": 1, "type": "meeting", "occurred_at": ago(10)},
                {"lead_id": 1, "type": "meeting", "occurred_at": ago(20)},
                {"lead_id": 1, "type": "meeting", "occurred_at": AS_OF + timedelta(days=5)},
                {"lead_id": 1, "type": "email_open", "occurred_at": ago(10)},
                {"lead_id": 1, "type": "email_open", "occurred_at": ago(20)},
                {"lead_id": 1, "type": "email_open", "occurred_at": AS_OF - timedelta(seconds=1)},
                {"lead_id": 1, "type": "email", "outcome": "Replied", "occurred_at": ago(30)},
                {"lead_id": 1, "type": "email", "outcome": "no answer", "occurred_at": ago(3)},
                {"lead_id": 2, "type": "email", "outcome": "bounced", "occurred_at": ago(1)},
                {"lead_id": 4, "type": "meeting", "occurred_at": ago(20)},
                {"lead_id": 4, "type": "email", "outcome": "replied", "occurred_at": ago(20)},
            ],
        )


def stored_scores(store) -> dict[int, tuple]:  # type: ignore[no-untyped-def,type-arg]
    with store.session() as session:
        rows = session.execute(
            select(
                LeadScore.lead_id,
                LeadScore.score,
                LeadScore.fit,
                LeadScore.engagement,
                LeadScore.grade,
                LeadScore.level,
                LeadScore.readiness,
                LeadScore.model_version,
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_rules_decay_and_caps_match_hand_computed_scores(store) -> None:
    seed_hand_computed(store)
    with store.session(write=True) as session:
        run = score_leads(session, loaded(), as_of=AS_OF)
    assert run.scored == 4
    assert dict(run.by_grade) == {"A": 2, "C": 1, "D": 1}
    assert dict(run.by_readiness) == {"mql": 1, "none": 3}
    # 1: fit 20+15+10 capped to 30; engagement 16*0.5 + 8*(0.5+0.25) + min(5, ~7) + 6*0.125
    # 2: fit 5; negative -20-10-15 capped to -25; total -20 clipped to 0
    # 3: account fallback fit 20+15 capped to 30; source 16*0.25; unknown consent -10
    # 4: fit 15 (min inclusive); 8*0.25 + 6*0.25 = 3.5; 18.5 rounds half up to 19
    assert stored_scores(store) == {
        1: (50, 30, 20, "A", 2, "mql", "t-1"),
        2: (0, 5, 0, "D", 4, "none", "t-1"),
        3: (24, 30, 4, "A", 4, "none", "t-1"),
        4: (19, 15, 4, "C", 4, "none", "t-1"),
    }


def test_explanation_lists_rules_decay_caps_and_sums_to_the_score(store) -> None:
    seed_hand_computed(store)
    with store.session() as session:
        explanation = explain_lead(session, "CEO@acme.io", AS_OF, loaded())
    lines = [
        (c.rule, c.part, c.points, c.count, c.undecayed, c.decay, c.capped_from)
        for c in explanation.contributions
    ]
    assert lines == [
        ("saas", "fit", Decimal("20.00"), None, None, None, None),
        ("big", "fit", Decimal("15.00"), None, None, None, None),
        ("exec", "fit", Decimal("10.00"), None, None, None, None),
        ("source demo_request", "engagement", Decimal("8.00"), None, Decimal("16.00"),
         Decimal("0.5000"), None),
        ("meetings", "engagement", Decimal("6.00"), 2, Decimal("16.00"), Decimal("0.3750"), None),
        ("opens", "engagement", Decimal("5.00"), 3, Decimal("12.00"), Decimal("0.5833"),
         Decimal("7.00")),
        ("replies", "engagement", Decimal("0.75"), 1, Decimal("6.00"), Decimal("0.1250"), None),
        ("fit part capped to 0-30", "fit", Decimal("-15.00"), None, None, None, None),
        ("rounding", "total", Decimal("0.25"), None, None, None, None),
    ]  # fmt: skip
    assert sum(c.points for c in explanation.contributions) == explanation.score == 50
    assert (explanation.grade, explanation.level, explanation.readiness) == ("A", 2, "mql")

    with store.session() as session:
        kid = explain_lead(session, "kid@gmail.com", AS_OF, loaded())
    assert [(c.rule, c.points) for c in kid.contributions] == [
        ("any director", Decimal("5.00")),
        ("freemail", Decimal("-20.00")),
        ("no consent", Decimal("-10.00")),
        ("bounced", Decimal("-15.00")),
        ("negative part capped at -25", Decimal("20.00")),
        ("score range 0-100", Decimal("20.00")),
    ]
    assert kid.score == 0
    assert [c.detail for c in kid.contributions[:3]] == [
        "title Directeur commercial",
        "email_domain gmail.com",
        "consent no",
    ]


def test_first_matching_rule_per_field_counts_once(store) -> None:
    with store.session(write=True) as session:
        add_leads(session, [{"id": 1, "email": "a@x.io", "title": "PDG et Directeur"}])
        explanation = explain_lead(session, "a@x.io", AS_OF, loaded())
    assert [c.rule for c in explanation.contributions] == ["exec"]


def random_store(store, leads: int = 120, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    titles = [None, "CEO", "PDG", "VP Sales", "Head of Growth", "Responsable achats",
              "Student", "Directeur général", "Engineer", "Manager"]  # fmt: skip
    industries = [None, "SaaS", "Retail", "fintech", "Software"]
    sources = [None, "demo_request", "content_download", "cold_call", "webinar", "referral"]
    domains = ["acme.io", "gmail.com", "orange.fr", "corp.fr"]
    types = ["call", "email", "meeting", "demo", "email_open", "email_click", "web_visit",
             "demo_request", "form_submit", "note"]  # fmt: skip
    outcomes = [None, "replied", "bounced", "connected", "no answer"]
    with store.session(write=True) as session:
        add_accounts(
            session,
            [{"id": i, "domain": f"a{i}.io", "industry": rng.choice(industries),
              "employees": rng.choice([None, 5, 40, 300, 5000]), "target_tier":
              rng.choice([None, 1, 2, 3]), "country": rng.choice([None, "FR", "JP"])}
             for i in range(1, 11)],
        )  # fmt: skip
        add_leads(
            session,
            [
                {
                    "id": i,
                    "email": f"lead{i}@{rng.choice(domains)}",
                    "title": rng.choice(titles),
                    "industry": rng.choice(industries),
                    "account_id": rng.choice([None, rng.randint(1, 10)]),
                    "employees": rng.choice([None, 12, 80, 700]),
                    "country": rng.choice([None, "FR", "BE", "US", "BR"]),
                    "source": rng.choice(sources),
                    "consent": rng.choice([True, False, None]),
                    "created_at": ago(rng.uniform(0, 400)),
                }
                for i in range(1, leads + 1)
            ],
        )
        add_activities(
            session,
            [
                {
                    "lead_id": rng.randint(1, leads),
                    "type": rng.choice(types),
                    "outcome": rng.choice(outcomes),
                    "occurred_at": ago(rng.uniform(-30, 300)) + timedelta(microseconds=n),
                }
                for n in range(leads * 6)
            ],
        )


def test_explain_agrees_with_batch_scoring_on_many_leads(store) -> None:
    random_store(store)
    model = loaded(default_text())
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF, batch_size=17)
    stored = stored_scores(store)
    assert len(stored) == 120
    assert len({row[0] for row in stored.values()}) > 10
    with store.session() as session:
        emails = dict(session.execute(select(Lead.id, Lead.email)).all())
        for lead_id, row in stored.items():
            explanation = explain_lead(session, emails[lead_id], AS_OF, model)
            assert sum(c.points for c in explanation.contributions) == explanation.score
            assert (
                explanation.score,
                round(explanation.fit),
                explanation.grade,
                explanation.level,
                explanation.readiness,
            ) == (row[0], row[1], row[3], row[4], row[5])


def test_same_as_of_gives_the_same_scores(store) -> None:
    random_store(store, leads=60, seed=3)
    model = loaded(default_text())
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF)
    first = stored_scores(store)
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF + timedelta(days=200))
    assert stored_scores(store) != first
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF, batch_size=7)
    assert stored_scores(store) == first
    with store.session(write=True) as session:
        score_leads(session, model, as_of=AS_OF + timedelta(days=9), batch_size=7)
    with store.session(write=True) as session:
        run = score_leads(session, model, as_of=AS_OF, batch_size=7, read_ahead=True)
    assert run.scored == 60
    assert stored_scores(store) == first


def test_changed_rescores_only_updated_or_active_leads(store) -> None:
    random_store(store, leads=30, seed=5)
    model = loaded(default_text())
    with store.session(write=True) as session:
        assert score_leads(session, model, as_of=AS_OF).scored == 30
        assert score_leads(session, model, as_of=AS_OF, changed_only=True).scored == 0
        future = datetime.now(UTC) + timedelta(days=1)
        session.execute(update(Lead).where(Lead.id == 4).values(updated_at=future))
        add_activities(session, [{"lead_id": 9, "type": "call", "occurred_at": ago(2)}])
        assert score_leads(session, model, as_of=AS_OF, changed_only=True).scored == 2
        other = loaded(default_text().replace('"default-1"', '"default-2"'))
        assert score_leads(session, other, as_of=AS_OF, changed_only=True).scored == 30


def test_cli_scores_and_explains_in_json(cli) -> None:
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation

    assert cli("db", "init").exit_code == 0
    location = StoreLocation(cli.url, "test")
    store = Store(location, make_engine(location))
    random_store(store, leads=40, seed=11)
    store.dispose()

    result = cli("leads", "score", "--as-of", "2026-02-28", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["scored"] == 40
    assert document["as_of"] == "2026-03-01T00:00:00Z"
    assert document["model_version"] == "default-1"
    assert sum(document["by_grade"].values()) == sum(document["by_readiness"].values()) == 40
    assert "scored 40 leads as of 2026-03-01 00:00 UTC" in result.stderr

    with Store(location, make_engine(location)).session() as session:
        emails = list(session.scalars(select(Lead.email).order_by(Lead.id).limit(8)))
    for email in emails:
        result = cli("leads", "score", "--explain", email, "--as-of", "2026-02-28", "-f", "json")
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout, parse_float=Decimal)
        assert set(doc) >= {"email", "score", "grade", "level", "readiness", "contributions"}
        assert sum(Decimal(c["points"]) for c in doc["contributions"]) == doc["score"]
        assert all({"rule", "part", "points"} <= set(c) for c in doc["contributions"])

    invalid = cli("leads", "score", "--explain", "lead1")
    assert invalid.exit_code == 3
    assert "no lead with e-mail or external id 'lead1'" in invalid.stderr
    both = cli("leads", "score", "--explain", "nobody@nowhere.io", "--changed")
    assert both.exit_code == 2
    assert "--explain scores one lead; it does not combine with --changed" in both.stderr
    missing = cli("leads", "score", "--explain", "nobody@nowhere.io")
    assert missing.exit_code == 3
    assert "no lead with e-mail or external id 'nobody@nowhere.io'" in missing.stderr


def test_demo_scores_as_of_the_data_and_lists_the_leads_to_call(store) -> None:
    from abs_cli.demo import score_demo
    from abs_cli.scoring.ranking import top_leads

    with store.session(write=True) as session:
        add_leads(
            session,
            [
                {"id": 1, "email": "hot@acme.io", "title": "PDG", "industry": "SaaS",
                 "employees": 300, "source": "demo_request", "first_name": "Ana"},
                {"id": 2, "email": "cold@acme.io", "title": "Engineer"},
                {"id": 3, "email": "won@acme.io", "title": "CEO", "industry": "SaaS",
                 "source": "demo_request", "stage": "customer"},
                {"id": 4, "email": "warm@acme.io", "title": "Head of Sales", "stage": "qualified",
                 "source": "webinar"},
            ],
        )  # fmt: skip
        add_activities(
            session,
            [
                {"lead_id": 1, "type": "meeting", "occurred_at": T0 + timedelta(days=300)},
                {"lead_id": 4, "type": "meeting", "occurred_at": T0 + timedelta(days=299)},
            ],
        )
    score_demo(store)
    with store.session() as session:
        rows = top_leads(session)
        as_of = session.scalar(select(LeadScore.scored_at))
    assert as_of == T0 + timedelta(days=300, seconds=1)
    assert [row["email"] for row in rows] == ["hot@acme.io", "warm@acme.io", "cold@acme.io"]
    assert rows[0]["name"] == "Ana"
    assert rows[0]["rating"] == "A3"  # fit 12+10+16; engagement 25*0.5**(300/90) + 12
    assert rows[0]["score"] > rows[1]["score"] > rows[2]["score"]
