"""The example company: canonical headers, determinism, and internal consistency."""

from __future__ import annotations

import csv
import filecmp
import os
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from abs_cli.domain import (
    ACTIVITY_TYPES,
    ALL_STAGES,
    BUYING_ROLES,
    INBOUND_SOURCES,
    OUTBOUND_SOURCES,
    ROLES,
    STAGES,
    TICKET_TYPES,
)

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "examples" / "company"

CANONICAL_COLUMNS = {
    "team.csv": "email name role territory capacity active started_at",
    "accounts.csv": "domain name industry employees country target_tier owner",
    "leads.csv": "email first_name last_name title phone company domain industry employees "
    "country source campaign created_at consent owner stage buying_role external_id",
    "activities.csv": "lead_email type occurred_at rep_email outcome notes due_at content_id",
    "pipeline.csv": "lead_email to_stage changed_at rep_email reason amount",
    "subscriptions.csv": "account started_at amount interval ended_at plan is_trial",
    "spend.csv": "month category amount channel",
    "nps.csv": "score responded_at email account comment",
    "usage.csv": "user occurred_at account feature",
    "campaigns.csv": "campaign lead_email sent_at responded_at",
    "tickets.csv": "account opened_at type severity closed_at",
    "checklist.csv": "lead_email item checked_at rep_email",
    "feedback.csv": "stage tag body rep_email created_at",
}
"""docs/domain.md §4, transcribed: every column of every importer, in its order."""

STEP_ROLES = {
    "prospect": {"sdr", "ir"},
    "qualified": {"sdr", "ir"},
    "disqualified": {"sdr", "ir"},
    "discovery": {"ae"},
    "demo": {"ae"},
    "proposal": {"ae"},
    "negotiation": {"ae"},
    "lost": {"ae"},
    "customer": {"ae", "cs"},
    "churned": {"cs"},
}
"""Who records each move: the AE signs the win; CS records churns and win-backs."""


def run_generator(out: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, "-m", "abs_cli.demo.company", "--out", str(out), "--seed", "7"],
        check=True,
        env=env,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("company")
    run_generator(out, "1")
    return out


@pytest.fixture(scope="module")
def tables(generated: Path) -> dict[str, list[dict[str, str]]]:
    result = {}
    for name in CANONICAL_COLUMNS:
        with (generated / name).open(newline="", encoding="utf-8") as handle:
            result[name] = list(csv.DictReader(handle))
    return result


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


PLAYBOOK = "playbook.toml"


def test_headers_are_the_canonical_columns(generated: Path) -> None:
    assert sorted(path.name for path in generated.iterdir()) == sorted(
        [*CANONICAL_COLUMNS, PLAYBOOK]
    )
    for name, columns in CANONICAL_COLUMNS.items():
        with (generated / name).open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == columns.split(), name


@pytest.mark.slow
def test_same_seed_gives_the_same_bytes_as_the_committed_files(
    generated: Path, tmp_path: Path
) -> None:
    run_generator(tmp_path, "2")  # another hash seed: no set or dict order leaks out
    names = sorted([*CANONICAL_COLUMNS, PLAYBOOK])
    _, mismatch, errors = filecmp.cmpfiles(generated, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    _, mismatch, errors = filecmp.cmpfiles(generated, COMMITTED, names, shallow=False)
    assert (mismatch, errors) == ([], []), (
        "regenerate: python -m abs_cli.demo.company --out examples/company"
    )


def test_size_stays_small() -> None:
    assert sum(path.stat().st_size for path in COMMITTED.iterdir()) < 8_000_000


def test_team_covers_every_role(tables) -> None:
    team = tables["team.csv"]
    assert 12 <= len(team) <= 14
    assert {rep["role"] for rep in team} == set(ROLES)
    assert all(rep["territory"] for rep in team if rep["role"] in ("sdr", "ir"))
    assert len({rep["email"] for rep in team}) == len(team)


def test_accounts_and_leads(tables) -> None:
    reps = {rep["email"] for rep in tables["team.csv"]}
    accounts = tables["accounts.csv"]
    leads = tables["leads.csv"]
    assert 250 <= len(accounts) <= 420
    assert len({account["domain"] for account in accounts}) == len(accounts)
    assert {account["target_tier"] for account in accounts} == {"", "1", "2", "3"}
    assert {account["owner"] for account in accounts} <= reps | {""}
    assert {"FR", "BE", "DE", "ES", "GB", "US", "NL"} <= {a["country"] for a in accounts}
    assert 2_700 <= len(leads) <= 3_300
    assert len({lead["email"] for lead in leads}) == len(leads)
    assert len({lead["external_id"] for lead in leads}) == len(leads)
    assert all(lead["owner"] in reps for lead in leads)
    assert {lead["stage"] for lead in leads} == set(ALL_STAGES)
    sources = {lead["source"] for lead in leads}
    assert sources <= set(INBOUND_SOURCES) | set(OUTBOUND_SOURCES)
    assert "referral" in sources and set(OUTBOUND_SOURCES) <= sources
    titles = {lead["title"] for lead in leads}
    assert {"PDG", "Directeur commercial", "Responsable marketing"} <= titles
    assert {lead["buying_role"] for lead in leads} == set(BUYING_ROLES) | {""}
    tiers = {a["domain"] for a in accounts if a["target_tier"]}
    assert all(lead["domain"] in tiers for lead in leads if lead["buying_role"])
    assert {lead["consent"] for lead in leads} == {"true", "false", ""}


def test_stage_history_walks_the_line(tables) -> None:
    reps = {rep["email"]: rep["role"] for rep in tables["team.csv"]}
    leads = {lead["email"]: lead for lead in tables["leads.csv"]}
    history: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in tables["pipeline.csv"]:
        history[row["lead_email"]].append(row)
    assert set(history) == set(leads)
    for email, rows in history.items():
        lead = leads[email]
        times = [when(row["changed_at"]) for row in rows]
        assert times == sorted(times) and times[0] == when(lead["created_at"]), email
        assert rows[0]["to_stage"] == "prospect"
        assert rows[-1]["to_stage"] == lead["stage"], email
        for row in rows:
            assert reps[row["rep_email"]] in STEP_ROLES[row["to_stage"]], row
            step = STAGES.index(row["to_stage"]) + 1 if row["to_stage"] in STAGES else 0
            assert bool(row["amount"]) == (step >= 3), row
            assert bool(row["reason"]) == (
                row["to_stage"] in ("lost", "disqualified", "churned")
            ) or (row["to_stage"] == "customer" and row["reason"].startswith("reactivated")), row
    reached = {
        email: max(STAGES.index(r["to_stage"]) + 1 for r in rows if r["to_stage"] in STAGES)
        for email, rows in history.items()
    }
    count = [sum(1 for step in reached.values() if step >= k) for k in range(1, 8)]
    assert 0.33 <= count[1] / count[0] <= 0.45  # qualified
    assert count[2] < count[1]  # fewer reach discovery
    won = sum(1 for rows in history.values() if any(r["to_stage"] == "customer" for r in rows))
    lost = sum(1 for rows in history.values() if any(r["to_stage"] == "lost" for r in rows))
    assert 0.2 <= won / (won + lost) <= 0.32


def test_the_signal_is_learnable(tables) -> None:
    """Demo requests and senior titles win more often than lists and juniors."""
    outcome = {}
    for row in tables["pipeline.csv"]:
        if row["to_stage"] in ("customer", "lost"):
            outcome.setdefault(row["lead_email"], row["to_stage"] == "customer")

    def win_rate(selected) -> float:
        results = [outcome[lead["email"]] for lead in selected if lead["email"] in outcome]
        return sum(results) / len(results)

    leads = tables["leads.csv"]
    cold = win_rate(lead for lead in leads if lead["source"] in ("cold_call", "purchased_list"))
    assert win_rate(lead for lead in leads if lead["source"] == "demo_request") > 2 * cold
    senior = ("PDG", "CEO", "VP Sales", "Directeur commercial", "Head of Sales", "Geschäftsführer")
    assert win_rate(lead for lead in leads if lead["title"] in senior) > win_rate(
        lead for lead in leads if lead["title"] not in senior
    )
    targets = {a["domain"] for a in tables["accounts.csv"] if a["target_tier"]}
    assert win_rate(lead for lead in leads if lead["domain"] in targets) > win_rate(
        lead for lead in leads if lead["domain"] not in targets
    )


def test_activities_and_campaigns_name_known_leads_and_reps(tables) -> None:
    leads = {lead["email"]: lead for lead in tables["leads.csv"]}
    reps = {rep["email"] for rep in tables["team.csv"]} | {""}
    activities = tables["activities.csv"]
    assert {row["type"] for row in activities} == set(ACTIVITY_TYPES)
    assert {"connected", "no_answer", "replied", "bounced"} <= {r["outcome"] for r in activities}
    keys = set()
    for row in activities:
        assert row["lead_email"] in leads and row["rep_email"] in reps, row
        occurred = when(row["occurred_at"])
        assert occurred >= when(leads[row["lead_email"]]["created_at"]), row
        assert datetime(2025, 11, 1) <= occurred < datetime(2026, 11, 1), row
        assert not row["due_at"] or when(row["due_at"]) > occurred
        keys.add((row["lead_email"], row["type"], row["occurred_at"]))
    assert len(keys) == len(activities)
    assert any(row["due_at"] for row in activities)
    months = {row["occurred_at"][:7] for row in activities}
    assert len(months) == 12 and max(months) == "2026-10"
    campaigns = tables["campaigns.csv"]
    assert len({(r["campaign"], r["lead_email"]) for r in campaigns}) == len(campaigns)
    for row in campaigns:
        lead = leads[row["lead_email"]]
        assert when(row["sent_at"]) > when(lead["created_at"]), row
        assert not row["responded_at"] or when(row["responded_at"]) > when(row["sent_at"])
    assert 0.02 < sum(1 for r in campaigns if r["responded_at"]) / len(campaigns) < 0.2


def test_subscriptions_only_for_customers(tables) -> None:
    accounts = {account["domain"] for account in tables["accounts.csv"]}
    won = {lead["domain"] for lead in tables["leads.csv"]}
    history_won = {r["lead_email"] for r in tables["pipeline.csv"] if r["to_stage"] == "customer"}
    won = {lead["domain"] for lead in tables["leads.csv"] if lead["email"] in history_won}
    trials = {lead["domain"] for lead in tables["leads.csv"] if lead["source"] == "trial_signup"}
    rows = tables["subscriptions.csv"]
    paid: dict[str, list[tuple[datetime, datetime | None, str]]] = defaultdict(list)
    for row in rows:
        assert row["account"] in accounts
        start = when(row["started_at"])
        end = when(row["ended_at"]) if row["ended_at"] else None
        assert end is None or end > start
        if row["is_trial"] == "true":
            assert row["account"] in trials and row["amount"] == "0.00"
        else:
            assert row["account"] in won, row
            paid[row["account"]].append((start, end, row["plan"]))
    assert {row["interval"] for row in rows} >= {"month", "year"}
    trial_accounts = {row["account"] for row in rows if row["is_trial"] == "true"}
    assert trial_accounts & set(paid) and trial_accounts - set(paid)  # converted or not
    upgrades = downgrades = churned = reactivated = 0
    order = ["starter", "growth", "scale", "enterprise"]
    for periods in paid.values():
        periods.sort(key=lambda period: period[0])
        for (_, end, plan), (start, _, next_plan) in pairwise(periods):
            assert end is not None and end <= start, periods  # never two paid rows at once
            if end == start:
                upgrades += order.index(next_plan) > order.index(plan)
                downgrades += order.index(next_plan) < order.index(plan)
            else:
                reactivated += 1
        churned += periods[-1][1] is not None
    assert upgrades and downgrades and churned and reactivated


def test_customer_signals(tables) -> None:
    leads = {lead["email"] for lead in tables["leads.csv"]}
    customers = {row["account"] for row in tables["subscriptions.csv"]}
    nps = tables["nps.csv"]
    assert nps and all(0 <= int(row["score"]) <= 10 for row in nps)
    assert all(row["email"] in leads and row["account"] in customers for row in nps)
    assert len({(row["email"], row["responded_at"]) for row in nps}) == len(nps)
    usage = tables["usage.csv"]
    assert 10_000 <= len(usage) <= 60_000
    assert all(row["account"] in customers for row in usage)
    assert len({(r["user"], r["occurred_at"], r["feature"]) for r in usage}) == len(usage)
    tickets = tables["tickets.csv"]
    assert {row["type"] for row in tickets} == set(TICKET_TYPES) - {"unknown"}
    assert all(row["account"] in customers for row in tickets)
    assert all(not r["closed_at"] or r["closed_at"] > r["opened_at"] for r in tickets)
    assert len({(r["account"], r["opened_at"], r["type"]) for r in tickets}) == len(tickets)
    spend = tables["spend.csv"]
    assert {row["category"] for row in spend} == {"sales", "marketing"}
    assert len({row["month"] for row in spend}) == 12
    assert len({(r["month"], r["category"], r["channel"]) for r in spend}) == len(spend)


def test_enablement_names_the_playbook_and_known_leads_and_reps(tables) -> None:
    from abs_cli.enablement.playbook import read_playbook_file

    playbook = read_playbook_file(COMMITTED / PLAYBOOK).playbook
    reps = {rep["email"]: rep for rep in tables["team.csv"]}
    leads = {lead["email"] for lead in tables["leads.csv"]}
    assert all(rep["started_at"] for rep in reps.values())
    assert {row["item"] for row in tables["checklist.csv"]} == set(playbook.items())
    assert {row["lead_email"] for row in tables["checklist.csv"]} <= leads
    assert {row["rep_email"] for row in tables["checklist.csv"]} <= set(reps)
    used = {row["content_id"] for row in tables["activities.csv"]} - {""}
    assert used == set(playbook.content())
    feedback = tables["feedback.csv"]
    assert {row["stage"] for row in feedback} <= set(STAGES)
    assert {row["rep_email"] for row in feedback} <= set(reps)
    keys = [(row["rep_email"], row["created_at"], row["stage"], row["tag"]) for row in feedback]
    assert len(set(keys)) == len(keys)
