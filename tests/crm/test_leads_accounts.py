"""`abs leads list|show|export|forget` and `abs accounts import|list|show|target`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from abs_cli.store.models import ErasureLog, Lead, LeadScore, NpsResponse

LEADS = (
    "email,first_name,last_name,title,phone,company,domain,industry,employees,country,source,"
    "campaign,created_at,consent,owner,stage,buying_role,external_id\n"
    'ann@acme.io,Ann,Lee,=HYPERLINK("x"),+33 1 23,Acme,,Software,120,France,Demo Request,'
    "Spring,2026-03-01T09:30:00Z,yes,ana@acme.io,,decision maker,SF-1\n"
    "bob@gmail.com,Bob,,CTO,,Bob Co,bobco.com,,,DE,cold call,,2026-03-05,no,Bo,qualified,"
    "champion,\n"
    "cy@acme.io,Cy,,,,Acme,,,,,webinar,,2026-02-01,,,,,\n"
)


def setup(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    team = tmp_path / "team.csv"
    team.write_text("email,name,role\nana@acme.io,Ana,sdr\nbo@acme.io,Bo,ir\n")
    assert cli("team", "import", str(team)).exit_code == 0
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS)
    result = cli("leads", "import", str(leads))
    assert result.exit_code == 0, result.stderr


def emails(cli, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [row["email"] for row in json.loads(cli("leads", "list", *args, "-f", "json").stdout)]


def test_list_filters_and_sorts(cli, store, tmp_path: Path) -> None:
    setup(cli, tmp_path)
    assert emails(cli) == ["bob@gmail.com", "ann@acme.io", "cy@acme.io"]
    assert emails(cli, "--sort", "email", "-n", "2") == ["ann@acme.io", "bob@gmail.com"]
    assert emails(cli, "--stage", "2") == ["bob@gmail.com"]
    assert emails(cli, "--owner", "Ana") == ["ann@acme.io"]
    assert emails(cli, "--role", "ir") == ["bob@gmail.com"]
    assert emails(cli, "--source", "Demo Request") == ["ann@acme.io"]
    assert emails(cli, "--account", "acme.io", "--sort", "email") == ["ann@acme.io", "cy@acme.io"]
    assert emails(cli, "--from", "2026-03-01") == ["bob@gmail.com", "ann@acme.io"]
    with store.session(write=True) as session:
        lead_id = session.scalar(select(Lead.id).where(Lead.email == "cy@acme.io"))
        session.add(
            LeadScore(
                lead_id=lead_id,
                score=72,
                fit=40,
                engagement=32,
                grade="B",
                level=3,
                readiness="mql",
                model_version="t",
                scored_at=datetime.now(UTC),
            )
        )
    assert emails(cli, "--min-score", "70") == ["cy@acme.io"]
    result = cli("leads", "list", "--stage", "won")
    assert result.exit_code == 2  # a value outside its choices: the command line is wrong
    assert "unknown stage 'won'" in result.stderr


def stored_view(cli, email: str) -> dict:
    """What `leads show` says of the stored lead (the score explanation is as of now)."""
    shown = json.loads(cli("leads", "show", email, "-f", "json").stdout)
    shown.pop("score_explanation")
    return shown


def test_show_lead(cli, tmp_path: Path) -> None:
    setup(cli, tmp_path)
    shown = json.loads(cli("leads", "show", " Ann@Acme.io", "-f", "json").stdout)
    lead = shown["lead"]
    assert (lead["account"], lead["owner"], lead["source"], lead["inbound"], lead["country"]) == (
        "acme.io",
        "ana@acme.io",
        "demo_request",
        True,
        "FR",
    )
    assert lead["buying_role"] == "decision_maker"
    assert shown["history"] == [
        {
            "changed_at": "2026-03-01T09:30:00Z",
            "from_stage": None,
            "to_stage": "prospect",
            "by": None,
            "reason": None,
            "amount": None,
            "origin": "import",
        }
    ]
    assert shown["activities"] == []
    explained = shown["score_explanation"]
    assert explained["email"] == "ann@acme.io"
    assert sum(line["points"] for line in explained["contributions"]) == explained["score"]
    table = cli("leads", "show", "ann@acme.io").stdout
    assert "Stage history" in table and "decision_maker" in table
    assert "Contributions" in table
    missing = cli("leads", "show", "nobody@acme.io")
    assert (
        missing.exit_code == 3
        and "no lead with e-mail or external id 'nobody@acme.io'" in missing.stderr
    )


def test_export_reimports_losslessly_with_formula_escaping(cli, tmp_path: Path) -> None:
    setup(cli, tmp_path)
    exported = cli("leads", "export").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    ann = next(row for row in rows if row["email"] == "ann@acme.io")
    assert (ann["title"], ann["phone"]) == ('\'=HYPERLINK("x")', "'+33 1 23")
    assert (ann["domain"], ann["owner"], ann["created_at"]) == (
        "acme.io",
        "ana@acme.io",
        "2026-03-01T09:30:00Z",
    )
    path = tmp_path / "export.csv"
    path.write_text(exported)
    before = stored_view(cli, "ann@acme.io")
    summary = json.loads(cli("leads", "import", str(path), "-f", "json").stdout)
    assert (summary["inserted"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert stored_view(cli, "ann@acme.io") == before
    assert before["lead"]["title"] == '=HYPERLINK("x")'
    documents = json.loads(cli("leads", "export", "-f", "json").stdout)
    assert {row["email"] for row in documents} == {"ann@acme.io", "bob@gmail.com", "cy@acme.io"}
    for fmt in ("json", "jsonl"):
        path = tmp_path / f"export.{fmt}"
        path.write_text(cli("leads", "export", "-f", fmt).stdout)
        summary = json.loads(cli("leads", "import", str(path), "-f", "json").stdout)
        assert (summary["delimiter"], summary["unchanged"], summary["rejected"]) == ("json", 3, 0)
    assert stored_view(cli, "ann@acme.io") == before


def test_forget_erases_personal_data_and_keeps_the_count(cli, store, tmp_path: Path) -> None:
    setup(cli, tmp_path)
    nps = tmp_path / "nps.csv"
    nps.write_text("score,responded_at,email,comment\n9,2026-03-09,ann@acme.io,love it\n")
    assert cli("nps", "import", str(nps)).exit_code == 0
    result = cli("leads", "forget", "ann@acme.io", "--reason", "GDPR request")
    assert result.exit_code == 0
    assert "erased; the erasure is logged" in result.stderr
    assert "ann@acme.io" not in cli("leads", "export").stdout
    with store.session() as session:
        lead = session.scalar(select(Lead).where(Lead.forgotten_at.is_not(None)))
        assert (lead.email, lead.first_name, lead.phone, lead.external_id) == (
            None,
            None,
            None,
            None,
        )
        assert (lead.stage, lead.source, lead.account_id is not None) == (
            "prospect",
            "demo_request",
            True,
        )
        assert session.scalar(select(ErasureLog.reason)) == "GDPR request"
        answer = session.scalar(select(NpsResponse))
        assert (answer.respondent, answer.comment, answer.score) == (
            f"forgotten-{lead.id}",
            None,
            9,
        )
        assert len(session.scalars(select(Lead.id)).all()) == 3
    again = cli("leads", "forget", "ann@acme.io")
    assert (
        again.exit_code == 3 and "no lead with e-mail or external id 'ann@acme.io'" in again.stderr
    )


def test_accounts_import_list_show_target(cli, tmp_path: Path) -> None:
    setup(cli, tmp_path)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "Website,Account Name,Sector,Employees,Country,Tier,Account Owner\n"
        "https://acme.io,Acme Corp,Software,120,United States,2,ana@acme.io\n"
        "zeta.io,Zeta,,-3,,,\n"
        "new.io,New,,,,5,\n"
    )
    result = cli("accounts", "import", str(accounts), "-f", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["updated"] == 1
    with (tmp_path / "accounts.rejects.csv").open() as handle:
        assert [row["reason"] for row in csv.DictReader(handle)] == [
            "employees '-3' must be 0 or more",
            "target_tier '5' is not one of 1, 2, 3",
        ]
    assert cli("accounts", "target", "bobco.com", "--tier", "1").exit_code == 0
    listed = json.loads(cli("accounts", "list", "-f", "json").stdout)
    assert [(a["domain"], a["target_tier"], a["leads"]) for a in listed] == [
        ("bobco.com", 1, 1),
        ("acme.io", 2, 2),
    ]
    assert [
        a["domain"] for a in json.loads(cli("accounts", "list", "--tier", "2", "-f", "json").stdout)
    ] == ["acme.io"]
    shown = json.loads(cli("accounts", "show", "acme.io", "-f", "json").stdout)
    assert shown["account"]["owner"] == "ana@acme.io" and shown["account"]["country"] == "US"
    assert [(c["email"], c["buying_role"]) for c in shown["contacts"]] == [
        ("ann@acme.io", "decision_maker"),
        ("cy@acme.io", None),
    ]
    assert shown["uncovered_roles"] == ["champion", "influencer", "user", "blocker"]
    table = cli("accounts", "show", "acme.io").stdout
    assert "Buying-committee roles not covered: champion, influencer, user, blocker" in table
    assert cli("accounts", "target", "bobco.com", "--remove").exit_code == 0
    assert cli("accounts", "target", "bobco.com").exit_code == 2
    missing = cli("accounts", "show", "nope.io")
    assert missing.exit_code == 3 and "no account nope.io" in missing.stderr


def test_abm_coverage_counts_only_contacts_still_in_play(cli, tmp_path: Path) -> None:
    leads = tmp_path / "committee.csv"
    leads.write_text(
        "email,stage,buying_role\n"
        "dm@target.io,lost,decision_maker\n"
        "champ@target.io,disqualified,champion\n"
        "gone@target.io,prospect,influencer\n"
        "user@target.io,prospect,user\n",
        encoding="utf-8",
    )
    assert cli("leads", "import", str(leads)).exit_code == 0
    assert cli("leads", "forget", "gone@target.io").exit_code == 0
    shown = json.loads(cli("accounts", "show", "target.io", "-f", "json").stdout)
    assert shown["uncovered_roles"] == ["decision_maker", "champion", "influencer", "blocker"]


def test_a_lead_without_e_mail_is_known_by_its_crm_id_everywhere(cli, tmp_path: Path) -> None:
    leads = tmp_path / "crm.csv"
    leads.write_text(
        "external_id,first_name,company,created_at\nCRM-0001,Ann,Acme,2026-01-05\n",
        encoding="utf-8",
    )
    imported = cli("leads", "import", str(leads))
    assert imported.exit_code == 0, imported.stderr
    listed = json.loads(cli("leads", "list", "-f", "json").stdout)
    assert [(row["lead"], row["email"], row["external_id"]) for row in listed] == [
        ("CRM-0001", None, "CRM-0001")
    ]
    assert "CRM-0001" in cli("leads", "list").stdout
    shown = cli("leads", "show", "CRM-0001", "-f", "json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["lead"]["external_id"] == "CRM-0001"
    explained = cli("leads", "score", "--explain", "CRM-0001")
    assert explained.exit_code == 0, explained.stderr
    assert "Score of CRM-0001" in explained.stdout
    forced = ["--force", "--reason", "met at a fair"]
    assert cli("pipeline", "advance", "CRM-0001", "--to", "qualified", *forced).exit_code == 0
    assert cli("leads", "forget", "CRM-0001").exit_code == 0
    assert cli("leads", "show", "CRM-0001").exit_code == 3
