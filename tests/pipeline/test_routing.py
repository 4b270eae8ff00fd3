"""Routing: by source and step, round-robin, weights, least-loaded, territories, capacity."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from pipeline_data import T0, add_leads, add_reps
from sqlalchemy import func, select

from abs_cli.pipeline.config import WorkflowConfig, parse_config
from abs_cli.pipeline.routing import assign_leads, lead_role
from abs_cli.store.models import AssignmentLog, Lead


@pytest.fixture(autouse=True)
def _no_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ABS_CONFIG", raising=False)


def owners(store) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    from abs_cli.store.models import Rep

    with store.session() as session:
        rows = session.execute(
            select(Lead.email, Rep.email).outerjoin(Rep, Rep.id == Lead.owner_id)
        ).all()
    return {lead: rep for lead, rep in rows}


def assign(store, config: WorkflowConfig, **kwargs):  # type: ignore[no-untyped-def]
    with store.session(write=True) as session:
        return assign_leads(session, config, now=T0, **kwargs)


def test_roles_by_source_and_step() -> None:
    config = parse_config({"routing": {"sources": {"event": "sdr"}}})
    assert lead_role("prospect", "demo_request", False, config) == "ir"
    assert lead_role("qualified", "Webinar", False, config) == "ir"
    assert lead_role("prospect", "cold_call", False, config) == "sdr"
    assert lead_role("prospect", "referral", True, config) == "sdr"
    assert lead_role("prospect", "partner_fair", False, config) == "sdr"
    assert lead_role("prospect", "partner_fair", True, config) == "ir"
    assert lead_role("prospect", "event", False, config) == "sdr"
    assert lead_role("discovery", "webinar", True, config) == "ae"
    assert lead_role("negotiation", None, False, config) == "ae"
    assert lead_role("customer", None, False, config) == "cs"
    assert lead_role("lost", None, False, config) is None


def test_assign_unassigned_by_source_and_step(cli, store) -> None:
    with store.session(write=True) as session:
        add_reps(session, ("sdr@acme.io", "sdr"), ("ir@acme.io", "ir"), ("ae@acme.io", "ae"))
        add_leads(
            session,
            [
                {"email": "in@client.io", "source": "demo_request", "inbound": True},
                {"email": "out@client.io", "source": "cold_call"},
                {"email": "ref@client.io", "source": "referral", "referrer": "happy.io"},
                {"email": "deal@client.io", "stage": "demo"},
                {"email": "won@client.io", "stage": "customer"},
                {"email": "gone@client.io", "stage": "lost"},
            ],
        )
    dry = cli("leads", "assign", "--unassigned", "--dry-run", "-f", "json")
    assert dry.exit_code == 0 and "would assign 4 leads; 1 left unassigned" in dry.stderr
    assert set(owners(store).values()) == {None}
    result = cli("leads", "assign", "--unassigned", "-f", "json")
    assert json.loads(result.stdout) == json.loads(dry.stdout)
    assert json.loads(result.stdout) == [
        {"lead": "in@client.io", "role": "ir", "rep": "ir@acme.io", "rule": "round_robin"},
        {"lead": "out@client.io", "role": "sdr", "rep": "sdr@acme.io", "rule": "round_robin"},
        {"lead": "ref@client.io", "role": "sdr", "rep": "sdr@acme.io", "rule": "round_robin"},
        {"lead": "deal@client.io", "role": "ae", "rep": "ae@acme.io", "rule": "round_robin"},
        {
            "lead": "won@client.io",
            "role": "cs",
            "rep": None,
            "rule": "no active cs rep with free capacity",
        },
    ]
    assert owners(store)["gone@client.io"] is None
    with store.session() as session:
        logged = session.execute(select(AssignmentLog.role, AssignmentLog.rule)).all()
    assert len(logged) == 5 and ("cs", "no active cs rep with free capacity") in logged
    again = cli("leads", "assign", "--unassigned", "-f", "json")
    assert [row["lead"] for row in json.loads(again.stdout)] == ["won@client.io"]
    named = cli("leads", "assign", "gone@client.io", "-f", "json")
    assert json.loads(named.stdout)[0]["rule"] == "not routed: lead is lost"
    assert cli("leads", "assign").exit_code == 2


def test_round_robin_is_fair_across_runs(store) -> None:
    with store.session(write=True) as session:
        add_reps(session, ("a@acme.io", "sdr"), ("b@acme.io", "sdr"), ("c@acme.io", "sdr"))
        ids = add_leads(session, [{"email": f"l{n}@client.io"} for n in range(301)])
    ordered = sorted(ids.values())
    picks: list[str | None] = []
    for start in range(0, 301, 43):
        picks += [
            a.rep_email
            for a in assign(store, WorkflowConfig(), lead_ids=ordered[start : start + 43])
        ]
    assert picks[:6] == ["a@acme.io", "b@acme.io", "c@acme.io"] * 2
    counts = Counter(picks)
    assert sorted(counts.values()) == [100, 100, 101]


def test_weights_and_inactive_reps(store, cli) -> None:
    with store.session(write=True) as session:
        add_reps(
            session,
            ("a@acme.io", "sdr"),
            ("b@acme.io", "sdr"),
            ("c@acme.io", "sdr"),
            ("off@acme.io", "sdr"),
        )
        ids = add_leads(session, [{"email": f"l{n}@client.io"} for n in range(40)])
    cli("team", "deactivate", "off@acme.io")
    config = parse_config({"routing": {"sdr": {"weights": {"A@acme.io": 2}}}})
    picks = [a.rep_email for a in assign(store, config, lead_ids=ids.values())]
    assert picks[:4] == ["a@acme.io", "a@acme.io", "b@acme.io", "c@acme.io"]
    assert Counter(picks) == {"a@acme.io": 20, "b@acme.io": 10, "c@acme.io": 10}
    with store.session() as session:
        rules = session.scalars(select(AssignmentLog.rule).distinct()).all()
    assert sorted(rules) == ["round_robin", "round_robin (weight 2)"]


def test_least_loaded(store) -> None:
    with store.session(write=True) as session:
        reps = add_reps(session, ("a@acme.io", "ae"), ("b@acme.io", "ae"), ("c@acme.io", "ae"))
        add_leads(
            session,
            [
                {"email": f"a{n}@x.io", "stage": "demo", "owner_id": reps["a@acme.io"]}
                for n in range(5)
            ]
            + [
                {"email": f"c{n}@x.io", "stage": "demo", "owner_id": reps["c@acme.io"]}
                for n in range(2)
            ]
            + [
                {"email": f"closed{n}@x.io", "stage": "lost", "owner_id": reps["b@acme.io"]}
                for n in range(9)
            ]
            + [{"email": f"new{n}@x.io", "stage": "discovery"} for n in range(7)],
        )
    config = parse_config({"routing": {"ae": {"strategy": "least_loaded"}}})
    results = assign(store, config, unassigned=True)
    assert results[0].rule == "least_loaded (0 open)"
    got = Counter(a.rep_email for a in results)
    assert got == {"b@acme.io": 5, "c@acme.io": 2}


def test_territory_first_match_then_fallback(store) -> None:
    with store.session(write=True) as session:
        add_reps(session, ("ana@acme.io", "sdr"), ("bob@acme.io", "sdr"), ("cy@acme.io", "sdr"))
        add_leads(
            session,
            [
                {"email": "fr@x.io", "country": "FR"},
                {"email": "de@x.io", "country": "DE"},
                {"email": "us@x.io", "country": "US"},
                {"email": "none@x.io"},
            ],
        )
    rules = [
        {"countries": ["FR", "be"], "reps": ["ana@acme.io"]},
        {"countries": ["FR", "DE"], "reps": ["bob@acme.io"]},
    ]
    config = parse_config({"routing": {"sdr": {"strategy": "territory", "territories": rules}}})
    results = {
        a.lead: (a.rep_email, a.rule) for a in assign(store, config, unassigned=True, dry_run=True)
    }
    assert results == {
        "fr@x.io": ("ana@acme.io", "territory BE,FR: round_robin"),
        "de@x.io": ("bob@acme.io", "territory DE,FR: round_robin"),
        "us@x.io": ("cy@acme.io", "no territory rule for US, fallback: round_robin"),
        "none@x.io": (
            "ana@acme.io",
            "no territory rule for an unknown country, fallback: round_robin",
        ),
    }
    strict = parse_config(
        {"routing": {"sdr": {"strategy": "territory", "territories": rules, "fallback": "none"}}}
    )
    results = {a.lead: (a.rep_email, a.rule) for a in assign(store, strict, unassigned=True)}
    assert results["us@x.io"] == (None, "no territory rule for US, fallback none")
    assert owners(store)["us@x.io"] is None and owners(store)["fr@x.io"] == "ana@acme.io"


def test_territory_from_the_reps_own_countries(store) -> None:
    with store.session(write=True) as session:
        add_reps(
            session,
            ("ana@acme.io", "ir"),
            ("bob@acme.io", "ir"),
            **{"ana@acme.io": {"territory": "FR;BE"}, "bob@acme.io": {"territory": "DE"}},
        )
        add_leads(session, [{"email": "be@x.io", "country": "BE", "source": "webinar"}])
    config = parse_config({"routing": {"ir": {"strategy": "territory"}}})
    (result,) = assign(store, config, unassigned=True)
    assert (result.rep_email, result.rule) == ("ana@acme.io", "rep territory BE: round_robin")


def test_capacity_caps(store) -> None:
    with store.session(write=True) as session:
        add_reps(
            session,
            ("a@acme.io", "sdr"),
            ("b@acme.io", "sdr"),
            **{"a@acme.io": {"capacity": 1}},
        )
        add_leads(session, [{"email": f"l{n}@x.io"} for n in range(6)])
    config = parse_config({"routing": {"sdr": {"capacity": 3}}})
    results = assign(store, config, unassigned=True)
    assert Counter(a.rep_email for a in results) == {"a@acme.io": 1, "b@acme.io": 3, None: 2}
    assert results[-1].rule == "no active sdr rep with free capacity"
    with store.session() as session:
        assert session.scalar(select(func.count()).where(Lead.owner_id.is_(None))) == 2


def test_deactivating_a_rep_reassigns_their_open_leads(cli, store) -> None:
    with store.session(write=True) as session:
        reps = add_reps(session, ("a@acme.io", "ae"), ("b@acme.io", "ae"), ("c@acme.io", "ae"))
        add_leads(
            session,
            [
                {
                    "email": f"d{n}@x.io",
                    "stage": "demo",
                    "owner_id": reps["a@acme.io"],
                    "amount": Decimal(1),
                }
                for n in range(4)
            ]
            + [{"email": "lost@x.io", "stage": "lost", "owner_id": reps["a@acme.io"]}],
        )
    result = cli("team", "deactivate", "a@acme.io")
    assert result.exit_code == 0
    assert "a@acme.io deactivated; 4 open leads reassigned, 0 left unassigned" in result.stderr
    current = owners(store)
    assert Counter(current[f"d{n}@x.io"] for n in range(4)) == {"b@acme.io": 2, "c@acme.io": 2}
    assert current["lost@x.io"] == "a@acme.io"
    cli("team", "deactivate", "b@acme.io")
    cli("team", "deactivate", "c@acme.io")
    assert set(owners(store)[f"d{n}@x.io"] for n in range(4)) == {None}


def test_config_file_beside_the_store_drives_routing(tmp_path: Path, sqlite_cli) -> None:
    (tmp_path / "abs.toml").write_text(
        '[routing.sdr]\nstrategy = "territory"\nfallback = "none"\n', encoding="utf-8"
    )
    sqlite_cli("team", "add", "a@acme.io", "--role", "sdr")
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation

    location = StoreLocation(sqlite_cli.url, "test")
    store = Store(location, make_engine(location))
    with store.session(write=True) as session:
        add_leads(session, [{"email": "l@x.io", "country": "FR"}])
    store.dispose()
    rows = json.loads(sqlite_cli("leads", "assign", "--unassigned", "-f", "json").stdout)
    assert rows[0]["rule"] == "no territory rule for FR, fallback none"


def test_leads_import_with_assign_routes_new_leads(cli, tmp_path) -> None:
    assert cli("team", "add", "ira@acme.io", "--role", "ir").exit_code == 0
    assert cli("team", "add", "sam@acme.io", "--role", "sdr").exit_code == 0
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "email,source,created_at\n"
        "a@client.fr,demo_request,2026-03-01\n"
        "b@client.fr,cold_call,2026-03-01\n"
    )
    result = cli("leads", "import", str(leads), "--assign")
    assert result.exit_code == 0, result.stderr
    assert "assigned 2 leads; 0 left without an owner" in result.stderr
    owners = {
        row["email"]: row["owner"] for row in json.loads(cli("leads", "list", "-f", "json").stdout)
    }
    assert owners == {"a@client.fr": "ira@acme.io", "b@client.fr": "sam@acme.io"}


def test_assign_is_refused_for_other_importers(cli, tmp_path) -> None:
    spend = tmp_path / "spend.csv"
    spend.write_text("month,category,amount\n2026-01,sales,100\n")
    result = cli("spend", "import", str(spend), "--assign")
    assert result.exit_code == 2
    assert "only applies to `abs leads import`" in result.stderr
