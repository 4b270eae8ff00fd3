"""Start dates (`team add --started`, `team import` `started_at`) and the routing log
(`abs leads assignments`)."""

from __future__ import annotations

import json


def test_start_dates_from_the_command_line_and_a_file(cli) -> None:
    added = cli("team", "add", "ana@acme.io", "--role", "ae", "--started", "2026-03-02")
    assert added.exit_code == 0, added.stderr
    bad = cli("team", "add", "bob@acme.io", "--role", "ae", "--started", "2026-13-02")
    assert bad.exit_code == 2 and "'2026-13-02' is not a date" in bad.stderr
    imported = cli(
        "team",
        "import",
        "-",
        input="email,role,hire date\nsam@acme.io,sdr,2026-01-05\nana@acme.io,ae,\n",
    )
    assert imported.exit_code == 0, imported.stdout
    team = {row["email"]: row for row in json.loads(cli("team", "list", "-f", "json").stdout)}
    assert team["sam@acme.io"]["started_at"] == "2026-01-05T00:00:00Z"
    assert team["ana@acme.io"]["started_at"] == "2026-03-02T00:00:00Z"  # an empty cell keeps it


def test_the_routing_log_by_lead_and_by_rep(cli) -> None:
    cli("team", "import", "-", input="email,role\nsam@acme.io,sdr\nsue@acme.io,sdr\n")
    cli("leads", "import", "-", input="email,source\na@x.io,cold_call\nb@x.io,cold_call\n")
    assert cli("leads", "assign", "--unassigned", "--rep", "sue@acme.io").exit_code == 0
    rows = json.loads(cli("leads", "assignments", "-f", "json").stdout)
    assert sorted(
        (row["lead"], row["role"], row["rep"], row["strategy"], row["by"]) for row in rows
    ) == [
        ("a@x.io", "sdr", "sam@acme.io", "round_robin", "sue@acme.io"),
        ("b@x.io", "sdr", "sue@acme.io", "round_robin", "sue@acme.io"),
    ]
    assert all(row["rule"].startswith("round_robin") and row["assigned_at"] for row in rows)
    one = json.loads(cli("leads", "assignments", "b@x.io", "-f", "json").stdout)
    assert [row["rep"] for row in one] == ["sue@acme.io"]
    by_rep = json.loads(cli("leads", "assignments", "--rep", "sam@acme.io", "-f", "json").stdout)
    assert [row["lead"] for row in by_rep] == ["a@x.io"]
    assert cli("leads", "assignments", "--rep", "nobody@acme.io").exit_code == 3


def test_a_handoff_logs_the_acting_rep(cli) -> None:
    cli("team", "import", "-", input="email,role\nsam@acme.io,sdr\nana@acme.io,ae\n")
    cli("leads", "import", "-", input="email,stage,owner\njo@x.io,demo,sam@acme.io\n")
    moved = cli(
        "pipeline",
        "advance",
        "jo@x.io",
        "--to",
        "proposal",
        "--amount",
        "900",
        "--rep",
        "sam@acme.io",
    )
    assert moved.exit_code == 0, moved.stdout
    (row,) = json.loads(cli("leads", "assignments", "jo@x.io", "-f", "json").stdout)
    assert (row["role"], row["rep"], row["by"]) == ("ae", "ana@acme.io", "sam@acme.io")
