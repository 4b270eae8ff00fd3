"""`abs imports list` and `abs imports revert`: an import undone leaves the store, and
every KPI, as they were before it; a revert a later change depends on is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

FIRST = (
    "email,first_name,last_name,company,source,stage,created_at\n"
    "ana@acme.io,Ana,Lima,Acme,webinar,prospect,2026-01-05\n"
    "bob@beta.io,Bob,Stone,Beta,cold_call,qualified,2026-01-20\n"
    "cy@gamma.io,Cy,Ng,Gamma,demo_request,prospect,2026-02-02\n"
)
HISTORY = (
    "lead_email,to_stage,changed_at,amount\n"
    "bob@beta.io,discovery,2026-02-03,1000\n"
    "bob@beta.io,proposal,2026-02-20,1200\n"
)
ACTIVITIES = (
    "lead_email,type,occurred_at\nana@acme.io,call,2026-01-06\ncy@gamma.io,email,2026-02-03\n"
)
SECOND = (
    "email,first_name,title,stage,source,created_at\n"
    "ana@acme.io,Anna,CEO,qualified,,\n"
    "dee@delta.io,Dee,,prospect,referral,2026-02-10\n"
    "eve@acme.io,Eve,CTO,discovery,webinar,2026-01-25\n"
)


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _kpis(cli: Cli) -> Any:
    result = cli(
        "kpi",
        "report",
        "--from",
        "2026-01",
        "--to",
        "2026-03",
        "--as-of",
        "2026-06-30",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _leads(cli: Cli) -> Any:
    result = cli("leads", "export", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _history(cli: Cli, lead: str) -> Any:
    result = cli("leads", "show", lead, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["history"]


def _seed(cli: Cli, tmp_path: Path) -> None:
    for kind, name, text in (
        ("leads", "first.csv", FIRST),
        ("pipeline", "history.csv", HISTORY),
        ("activities", "activities.csv", ACTIVITIES),
    ):
        result = cli("-q", kind, "import", _write(tmp_path, name, text))
        assert result.exit_code == 0, result.output


def _last_import(cli: Cli) -> int:
    result = cli("imports", "list", "--format", "json", "-n", "1")
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)[0]["id"])


@pytest.mark.slow
def test_a_reverted_import_leaves_leads_history_and_kpis_as_before(
    cli: Cli, tmp_path: Path
) -> None:
    _seed(cli, tmp_path)
    before = (_kpis(cli), _leads(cli), _history(cli, "ana@acme.io"))

    imported = cli("leads", "import", _write(tmp_path, "second.csv", SECOND), "--format", "json")
    assert imported.exit_code == 0, imported.output
    import_id = json.loads(imported.stdout)["import_id"]
    during = _kpis(cli)  # builds the rollups of the months the import changed
    assert during != before[0]

    reverted = cli("imports", "revert", str(import_id), "--format", "json")
    assert reverted.exit_code == 0, reverted.output
    assert json.loads(reverted.stdout) == {
        "id": import_id,
        "kind": "import",
        "subject": "leads",
        "source": str(tmp_path / "second.csv"),
        "deleted": 6,  # two leads, their two creation rows, one account, ana's move
        "restored": 1,
        "reinserted": 0,
    }
    after = (_kpis(cli), _leads(cli), _history(cli, "ana@acme.io"))
    assert after[0] == before[0]
    assert after[1:] == before[1:]

    listed = json.loads(cli("imports", "list", "--format", "json").stdout)
    newest = listed[0]
    assert (newest["id"], newest["kind"], newest["subject"], newest["status"]) == (
        import_id,
        "import",
        "leads",
        "reverted",
    )
    assert listed[0]["inserted"] == 2 and listed[0]["updated"] == 1
    assert all(row["actor"] for row in listed)


def test_a_revert_a_later_change_depends_on_is_refused(cli: Cli, tmp_path: Path) -> None:
    first = cli("leads", "import", _write(tmp_path, "first.csv", FIRST), "--format", "json")
    first_id = json.loads(first.stdout)["import_id"]
    later = cli("leads", "import", _write(tmp_path, "second.csv", SECOND), "--format", "json")
    later_id = json.loads(later.stdout)["import_id"]

    refused = cli("imports", "revert", str(first_id))
    assert refused.exit_code == 3
    assert f"import #{first_id} cannot be reverted: lead #1 (ana@acme.io) was changed" in (
        refused.stderr
    )
    assert f"by import #{later_id}" in refused.stderr

    activity = cli("-q", "activities", "import", _write(tmp_path, "a.csv", ACTIVITIES))
    assert activity.exit_code == 0
    assert cli("imports", "revert", str(later_id)).exit_code == 0
    refused = cli("imports", "revert", str(first_id))
    assert refused.exit_code == 3
    assert "lead #1 (ana@acme.io), which it created, has 1 activity row written after it" in (
        refused.stderr
    )

    again = cli("imports", "revert", str(later_id))
    assert again.exit_code == 3 and "already reverted" in again.stderr
    missing = cli("imports", "revert", "999")
    assert missing.exit_code == 3 and "no change #999" in missing.stderr


def test_a_pipeline_move_after_an_import_blocks_its_revert(cli: Cli, tmp_path: Path) -> None:
    imported = cli("leads", "import", _write(tmp_path, "first.csv", FIRST), "--format", "json")
    import_id = json.loads(imported.stdout)["import_id"]
    moved = cli("pipeline", "advance", "ana@acme.io", "--to", "disqualified", "--reason", "spam")
    assert moved.exit_code == 0, moved.output
    refused = cli("imports", "revert", str(import_id))
    assert refused.exit_code == 3
    assert "by a command that records no change set" in refused.stderr


def test_a_dry_run_is_not_logged(cli: Cli, tmp_path: Path) -> None:
    dry = cli("-q", "leads", "import", _write(tmp_path, "f.csv", FIRST), "--dry-run")
    assert dry.exit_code == 0
    listed = cli("imports", "list", "--format", "json")
    assert json.loads(listed.stdout) == []


def test_the_routing_of_an_import_with_assign_is_reverted_with_it(cli: Cli, tmp_path: Path) -> None:
    assert cli("team", "add", "sam@acme.io", "--name", "Sam", "--role", "sdr").exit_code == 0
    path = _write(tmp_path, "leads.csv", "email,source\nx@y.io,cold_call\nz@y.io,cold_call\n")
    imported = cli("-q", "leads", "import", path, "--assign", "--format", "json")
    assert imported.exit_code == 0, imported.output
    assert {lead["owner"] for lead in _leads(cli)} == {"sam@acme.io"}
    reverted = cli("imports", "revert", str(json.loads(imported.stdout)["import_id"]))
    assert reverted.exit_code == 0, reverted.output
    assert _leads(cli) == []
