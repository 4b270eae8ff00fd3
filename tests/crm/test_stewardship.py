"""`abs leads edit`, `merge`, `unmerge` and `duplicates`, end to end on both backends,
and the duplicate score's invariants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from hypothesis import given
from hypothesis import strategies as st

from abs_cli.crm.duplicates import score_pair

LEADS = (
    "email,first_name,last_name,company,phone,source,stage,created_at\n"
    "ana@acme.io,Ana,Lima,Acme,+33 6 12 34 56 78,webinar,prospect,2026-01-05\n"
    "ana.lima@gmail.com,Ana,Lima,,06-12-34-56-78,,prospect,2026-01-02\n"
    "bob@acme.io,Bob,Stone,Acme,,cold_call,qualified,2026-02-01\n"
    "b.stone@acme.io,Bob,Stone,Acme,,,prospect,2026-02-03\n"
    "xu@yang.io,Xu,Yang,Yang,,,prospect,2026-02-03\n"
)
ACTIVITIES = (
    "lead_email,type,occurred_at\n"
    "ana.lima@gmail.com,call,2026-01-03\n"
    "ana.lima@gmail.com,email,2026-01-06\n"
    "ana@acme.io,email,2026-01-06\n"
)


def _seed(cli: Cli, tmp_path: Path) -> None:
    for kind, text in (("leads", LEADS), ("activities", ACTIVITIES)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        assert cli("-q", kind, "import", str(path)).exit_code == 0


def _json(cli: Cli, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _shown(cli: Cli, lead: str) -> Any:
    """`leads show` without the score explanation, which is as of now."""
    shown = _json(cli, "leads", "show", lead)
    shown.pop("score_explanation")
    return shown


def _kpis(cli: Cli) -> Any:
    return _json(
        cli, "kpi", "report", "--from", "2026-01", "--to", "2026-02", "--as-of", "2026-06-30"
    )


def test_an_edit_is_validated_recorded_and_revertable(cli: Cli, tmp_path: Path) -> None:
    _seed(cli, tmp_path)
    before = _json(cli, "leads", "show", "ana@acme.io")["lead"]

    edited = cli("leads", "edit", "ana@acme.io", "title=VP Sales", "country=France")
    assert edited.exit_code == 0, edited.output
    lead = _json(cli, "leads", "show", "ana@acme.io")["lead"]
    assert (lead["title"], lead["country"]) == ("VP Sales", "FR")

    bad = cli("leads", "edit", "ana@acme.io", "country=Atlantis")
    assert bad.exit_code == 3
    assert "lead 'ana@acme.io': country 'Atlantis'" in bad.stderr
    unknown = cli("leads", "edit", "ana@acme.io", "shoe_size=42")
    assert unknown.exit_code == 2 and "'shoe_size' is not a lead field" in unknown.stderr
    missing = cli("leads", "edit", "nobody@acme.io", "title=CEO")
    assert missing.exit_code == 3 and "no lead" in missing.stderr

    edits = _json(cli, "imports", "list", "--kind", "edit")
    assert [(row["subject"], row["status"]) for row in edits] == [
        ("nobody@acme.io", "failed"),  # an unknown field is a usage error: nothing logged
        ("ana@acme.io", "failed"),
        ("ana@acme.io", "done"),
    ]
    assert edits[2]["source"] == "title=VP Sales country=France"
    assert cli("imports", "revert", str(edits[2]["id"])).exit_code == 0
    assert _json(cli, "leads", "show", "ana@acme.io")["lead"] == before


def test_an_edit_of_the_email_finds_the_lead_by_its_external_id(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("email,external_id\njo@a.io,CRM-1\n", encoding="utf-8")
    assert cli("-q", "leads", "import", str(path)).exit_code == 0
    assert cli("leads", "edit", "CRM-1", "email=jo@b.io").exit_code == 0
    exported = _json(cli, "leads", "export")
    assert [(lead["email"], lead["external_id"]) for lead in exported] == [("jo@b.io", "CRM-1")]


@pytest.mark.slow
def test_a_merge_moves_everything_and_an_unmerge_puts_it_back(cli: Cli, tmp_path: Path) -> None:
    _seed(cli, tmp_path)
    kpis = _kpis(cli)
    leads = _json(cli, "leads", "export")
    shown = {key: _shown(cli, key) for key in ("ana@acme.io", "ana.lima@gmail.com")}

    merged = _json(cli, "leads", "merge", "ana@acme.io", "ana.lima@gmail.com")
    assert merged["moved"]["activity"] == 1  # the e-mail of 2026-01-06 was already there
    assert merged["moved"]["stage_history"] == 1
    kept = _json(cli, "leads", "show", "ana@acme.io")
    assert kept["lead"]["created_at"] == "2026-01-02T00:00:00Z"  # the earlier creation
    assert sorted(a["occurred_at"][:10] for a in kept["activities"]) == ["2026-01-03", "2026-01-06"]
    assert cli("leads", "show", "ana.lima@gmail.com").exit_code == 3
    assert _kpis(cli) != kpis  # one lead less created in January

    unmerged = _json(cli, "leads", "unmerge", str(merged["merge_id"]))
    assert unmerged["kind"] == "merge" and unmerged["reinserted"] >= 1
    assert _json(cli, "leads", "export") == leads
    assert {key: _shown(cli, key) for key in shown} == shown
    assert _kpis(cli) == kpis


def test_an_unmerge_is_refused_once_the_kept_lead_changed(cli: Cli, tmp_path: Path) -> None:
    _seed(cli, tmp_path)
    merged = _json(cli, "leads", "merge", "ana@acme.io", "ana.lima@gmail.com")
    assert cli("leads", "edit", "ana@acme.io", "title=CEO").exit_code == 0
    refused = cli("leads", "unmerge", str(merged["merge_id"]))
    assert refused.exit_code == 3
    assert "lead #1 (ana@acme.io) was changed after it, by edit #" in refused.stderr
    same = cli("leads", "merge", "ana@acme.io", "ana@acme.io")
    assert same.exit_code == 2


def test_duplicates_are_scored_pairs_found_by_blocking(cli: Cli, tmp_path: Path) -> None:
    _seed(cli, tmp_path)
    pairs = _json(cli, "leads", "duplicates")
    assert [(pair["lead"], pair["other"], pair["score"]) for pair in pairs] == [
        ("ana@acme.io", "ana.lima@gmail.com", 80),
        ("bob@acme.io", "b.stone@acme.io", 70),
    ]
    assert pairs[0]["reasons"] == "names 100% alike; same phone"
    assert _json(cli, "leads", "duplicates", "--min-score", "75")[0]["score"] == 80


PEOPLE = st.fixed_dictionaries(
    {
        "email": st.emails(),
        "external_id": st.none(),
        "first_name": st.one_of(st.none(), st.text(max_size=12)),
        "last_name": st.one_of(st.none(), st.text(max_size=12)),
        "phone": st.one_of(st.none(), st.from_regex(r"\+?[0-9 ]{6,14}", fullmatch=True)),
        "company": st.one_of(st.none(), st.text(max_size=12)),
        "account_id": st.one_of(st.none(), st.integers(1, 3)),
    }
)


@given(PEOPLE, PEOPLE)
def test_a_pair_scores_the_same_both_ways_between_0_and_100(
    one: dict[str, Any], other: dict[str, Any]
) -> None:
    forward, backward = score_pair(one, other), score_pair(other, one)
    assert 0 <= forward.score <= 100
    assert forward.score == backward.score
    assert score_pair(one, one).score >= forward.score
