"""Checklists per lead: ticks with who and when, `leads show`, gates that require items,
the queue's next item, and ticks imported from a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TEAM = "email,role\nsam@acme.io,sdr\nana@acme.io,ae\n"
LEADS = """email,source,stage,owner
jo@client.io,cold_call,qualified,sam@acme.io
li@client.io,cold_call,qualified,sam@acme.io
"""


@pytest.fixture
def company(cli):  # type: ignore[no-untyped-def]
    assert cli("team", "import", "-", input=TEAM).exit_code == 0
    assert cli("leads", "import", "-", input=LEADS).exit_code == 0
    return cli


def test_tick_again_undo_and_show(company) -> None:
    cli = company
    ticked = cli(
        "leads",
        "check",
        "jo@client.io",
        "Budget",
        "--rep",
        "sam@acme.io",
        "--at",
        "2026-03-02T09:00",
    )
    assert ticked.exit_code == 0 and "budget (qualified) ticked for jo@client.io" in ticked.stderr
    again = cli("leads", "check", "jo@client.io", "budget")
    assert again.exit_code == 0 and "already ticked for jo@client.io by sam@acme.io" in again.stderr
    shown = json.loads(cli("leads", "show", "jo@client.io", "-f", "json").stdout)
    assert shown["checklist"][0] == {
        "item": "budget",
        "label": "Budget: an amount or a budget owner is known",
        "stage": "qualified",
        "done": True,
        "by": "sam@acme.io",
        "checked_at": "2026-03-02T09:00:00Z",
    }
    assert [row["done"] for row in shown["checklist"]] == [True, False, False, False]
    undone = cli("leads", "check", "jo@client.io", "budget", "--undo")
    assert undone.exit_code == 0 and "unticked" in undone.stderr
    nothing = cli("leads", "check", "jo@client.io", "budget", "--undo")
    assert nothing.exit_code == 0 and "nothing to undo" in nothing.stderr
    shown = json.loads(cli("leads", "show", "jo@client.io", "-f", "json").stdout)
    assert not any(row["done"] for row in shown["checklist"])


def test_unknown_item_lead_or_rep_is_refused(company) -> None:
    cli = company
    unknown = cli("leads", "check", "jo@client.io", "budgets")
    assert (
        unknown.exit_code == 3
        and "checklist item 'budgets' is not in the playbook" in unknown.stderr
    )
    assert cli("leads", "check", "nobody@client.io", "budget").exit_code == 3
    assert cli("leads", "check", "jo@client.io", "budget", "--rep", "who@acme.io").exit_code == 3


def test_a_gate_requires_ticked_items_and_names_the_missing_ones(company, tmp_path: Path) -> None:
    cli = company
    config = tmp_path / "abs.toml"
    config.write_text('[pipeline.gates.discovery]\nrequire = ["budget", "authority", "need"]\n')
    cli("leads", "check", "jo@client.io", "authority")
    refused = cli("pipeline", "advance", "jo@client.io", "--config", str(config), "-f", "json")
    assert refused.exit_code == 3
    (line,) = json.loads(refused.stdout)
    assert line["status"] == "refused"
    assert line["message"].startswith("gate discovery: checklist items not ticked: budget, need;")
    for item in ("budget", "need"):
        cli("leads", "check", "jo@client.io", item)
    moved = cli("pipeline", "advance", "jo@client.io", "--config", str(config), "-f", "json")
    assert moved.exit_code == 0, moved.stdout
    assert json.loads(moved.stdout)[0]["status"] == "moved"


def test_the_queue_shows_the_next_unticked_item(company) -> None:
    cli = company
    cli("leads", "check", "jo@client.io", "budget")
    cli("leads", "check", "jo@client.io", "need")
    for item in ("budget", "authority", "need", "timing"):
        cli("leads", "check", "li@client.io", item)
    rows = json.loads(cli("queue", "-f", "json").stdout)
    assert {row["lead"]: row["next_item"] for row in rows} == {
        "jo@client.io": "authority",
        "li@client.io": None,
    }


def test_ticks_import_from_a_file_and_bad_rows_are_rejected(company, tmp_path: Path) -> None:
    cli = company
    path = tmp_path / "ticks.csv"
    path.write_text(
        "lead_email,item,checked_at,rep\n"
        "jo@client.io,budget,2026-03-02,sam@acme.io\n"
        "jo@client.io,cost,2026-03-02,sam@acme.io\n"
        "zed@client.io,need,2026-03-02,sam@acme.io\n"
    )
    result = cli("leads", "import-checks", str(path), "-f", "json")
    assert result.exit_code == 3
    rejects = (tmp_path / "ticks.rejects.csv").read_text().splitlines()
    assert rejects[1].startswith("3,item 'cost' is not in the playbook,")
    assert rejects[2].startswith("4,lead_email 'zed@client.io' is not a lead in the store")
    again = cli("leads", "import-checks", str(path), "-f", "json")
    assert json.loads(again.stdout)["unchanged"] == 1
    shown = json.loads(cli("leads", "show", "jo@client.io", "-f", "json").stdout)
    assert shown["checklist"][0]["by"] == "sam@acme.io"
