"""Content pieces (list, stale, used in activities) and field feedback (add, list, import)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from abs_cli.enablement.content import content_rows, stale_rows
from abs_cli.enablement.playbook import default_text, parse_playbook

TEAM = "email,role\nsam@acme.io,sdr\nana@acme.io,ae\n"


@pytest.fixture
def company(cli):  # type: ignore[no-untyped-def]
    assert cli("team", "import", "-", input=TEAM).exit_code == 0
    assert cli("leads", "import", "-", input="email\njo@client.io\n").exit_code == 0
    return cli


def test_stale_content_is_past_its_review_date_by_owner() -> None:
    playbook = parse_playbook(default_text(), "template")
    rows = stale_rows(playbook, date(2027, 10, 1))
    assert [(row["owner"], row["id"], row["days_overdue"]) for row in rows] == [
        ("enablement@example.com", "demo-script", 31),
        ("marketing@example.com", "roi-calculator", 1),
        ("product@example.com", "security-pack", 62),
    ]
    assert [row["id"] for row in content_rows(playbook, date(2027, 1, 1), "negotiation")] == [
        "security-pack"
    ]


def test_content_list_by_step_and_stale(cli, tmp_path: Path) -> None:
    rows = json.loads(cli("content", "list", "--step", "2", "-f", "json").stdout)
    assert [(row["id"], row["stage"], row["stale"]) for row in rows] == [
        ("roi-calculator", "qualified", False)
    ]
    old = tmp_path / "old.toml"
    old.write_text(default_text().replace("review = 2027-07-31", "review = 2020-01-01"))
    stale = json.loads(cli("content", "stale", "--playbook", str(old), "-f", "json").stdout)
    assert [(row["id"], row["owner"]) for row in stale] == [
        ("security-pack", "product@example.com")
    ]


def test_an_activity_records_the_piece_it_used(company) -> None:
    cli = company
    logged = cli(
        "activities",
        "log",
        "jo@client.io",
        "--type",
        "demo",
        "--content",
        "Demo-Script",
        "--rep",
        "ana@acme.io",
        "--at",
        "2026-03-10T10:00",
    )
    assert logged.exit_code == 0 and "using demo-script" in logged.stderr
    rows = json.loads(cli("activities", "list", "-f", "json").stdout)
    assert rows[0]["content"] == "demo-script"
    unknown = cli("activities", "log", "jo@client.io", "--type", "call", "--content", "deck")
    assert unknown.exit_code == 3 and "content 'deck' is not in the playbook" in unknown.stderr
    imported = cli(
        "activities",
        "import",
        "-",
        "-f",
        "json",
        input="lead_email,type,occurred_at,content\n"
        "jo@client.io,call,2026-03-11,case-study\n"
        "jo@client.io,email,2026-03-12,brochure\n",
    )
    assert imported.exit_code == 3
    assert json.loads(imported.stdout)["inserted"] == 1
    rows = json.loads(cli("activities", "list", "--type", "call", "-f", "json").stdout)
    assert rows[0]["content"] == "case-study"


def test_feedback_add_and_list_by_step_tag_rep_and_period(company) -> None:
    cli = company
    sent = [
        ("negotiation", "pricing", "ana@acme.io", "2026-03-15T10:00", "Annual prepay blocks"),
        ("negotiation", "Security", "ana@acme.io", "2026-03-16T10:00", "SOC 2 asked"),
        ("2", "pricing", "sam@acme.io", "2026-02-10T10:00", "Too expensive for 5 seats"),
    ]
    for step, tag, rep, at, text in sent:
        added = cli("feedback", "add", text, "--step", step, "--tag", tag, "--rep", rep, "--at", at)
        assert added.exit_code == 0, added.stderr
    untagged = cli(
        "feedback",
        "add",
        "Wants Slack",
        "--step",
        "demo",
        "--rep",
        "sam@acme.io",
        "--lead",
        "jo@client.io",
    )
    assert untagged.exit_code == 0 and "tagged other" in untagged.stderr

    def listed(*args: str) -> list[tuple[str, str, str]]:
        result = cli("feedback", "list", *args, "-f", "json")
        assert result.exit_code == 0, result.stderr
        return [(row["stage"], row["tag"], row["rep"]) for row in json.loads(result.stdout)]

    assert listed("--tag", "pricing") == [
        ("negotiation", "pricing", "ana@acme.io"),
        ("qualified", "pricing", "sam@acme.io"),
    ]
    assert listed("--step", "negotiation", "--tag", "security") == [
        ("negotiation", "security", "ana@acme.io")
    ]
    assert listed("--rep", "sam@acme.io", "--period", "2026-02") == [
        ("qualified", "pricing", "sam@acme.io")
    ]
    assert len(listed("--from", "2026-03-01", "--to", "2026-03-16")) == 1
    rows = json.loads(cli("feedback", "list", "--step", "4", "-f", "json").stdout)
    assert rows[0]["lead"] == "jo@client.io" and rows[0]["feedback"] == "Wants Slack"


def test_feedback_mistakes_are_refused(company) -> None:
    cli = company
    no_rep = cli("feedback", "add", "x", "--step", "demo")
    assert no_rep.exit_code == 3 and "--rep" in no_rep.stderr
    bad_tag = cli("feedback", "add", "x", "--step", "demo", "--tag", "a/b", "--rep", "sam@acme.io")
    assert bad_tag.exit_code == 3 and "tag 'a/b'" in bad_tag.stderr
    bad_step = cli("feedback", "add", "x", "--step", "lost", "--rep", "sam@acme.io")
    assert bad_step.exit_code == 2
    both = cli("feedback", "list", "--period", "2026-03", "--from", "2026-03-01")
    assert both.exit_code == 2


def test_feedback_import_is_idempotent(company, tmp_path: Path) -> None:
    cli = company
    path = tmp_path / "notes.csv"
    path.write_text(
        "step,tag,feedback,rep,date\n"
        "negotiation,pricing,Annual prepay blocks,ana@acme.io,2026-03-15\n"
        "6,security,SOC 2 asked,ana@acme.io,2026-03-16\n"
        "won,pricing,?,ana@acme.io,2026-03-16\n"
    )
    first = cli("feedback", "import", str(path), "-f", "json")
    assert first.exit_code == 3 and json.loads(first.stdout)["inserted"] == 2
    second = cli("feedback", "import", str(path), "-f", "json")
    assert json.loads(second.stdout)["unchanged"] == 2
    assert len(json.loads(cli("feedback", "list", "-f", "json").stdout)) == 2
