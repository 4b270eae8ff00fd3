"""`abs team`: add, list, set-role, deactivate, end to end on both backends."""

from __future__ import annotations

import csv
import io
import json

import pytest

from abs_cli.crm.team import RepIn, add_rep, find_rep, list_reps


def test_add_and_list_in_every_format(cli) -> None:
    assert (
        cli(
            "team",
            "add",
            "Ana@Acme.io",
            "--name",
            "Ana Lima",
            "--role",
            "SDR",
            "--territory",
            "fr; be",
            "--capacity",
            "150",
        ).exit_code
        == 0
    )
    assert cli("team", "add", "bob@acme.io", "--role", "ae").exit_code == 0

    rows = json.loads(cli("team", "list", "--format", "json").stdout)
    assert rows == [
        {
            "email": "ana@acme.io",
            "name": "Ana Lima",
            "role": "sdr",
            "territory": "FR;BE",
            "capacity": 150,
            "active": True,
            "started_at": None,
            "open_leads": 0,
        },
        {
            "email": "bob@acme.io",
            "name": None,
            "role": "ae",
            "territory": None,
            "capacity": None,
            "active": True,
            "started_at": None,
            "open_leads": 0,
        },
    ]
    lines = cli("team", "list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["email"] for line in lines] == ["ana@acme.io", "bob@acme.io"]
    table = list(csv.DictReader(io.StringIO(cli("team", "list", "--format", "csv").stdout)))
    assert table[0]["territory"] == "FR;BE" and table[1]["capacity"] == ""
    tsv = cli("team", "list", "--format", "tsv").stdout.splitlines()
    assert tsv[0].split("\t")[:3] == ["email", "name", "role"]
    markdown = cli("team", "list", "--format", "markdown").stdout
    assert "| email " in markdown and "| ana@acme.io " in markdown
    assert "ana@acme.io" in cli("team", "list").stdout


def test_list_filters_by_role_and_active(cli) -> None:
    cli("team", "add", "ana@acme.io", "--role", "sdr")
    cli("team", "add", "bob@acme.io", "--role", "ae")
    assert cli("team", "deactivate", "bob@acme.io").exit_code == 0
    assert [
        r["email"] for r in json.loads(cli("team", "list", "--role", "ae", "-f", "json").stdout)
    ] == ["bob@acme.io"]
    assert [
        r["email"] for r in json.loads(cli("team", "list", "--active", "-f", "json").stdout)
    ] == ["ana@acme.io"]
    assert json.loads(cli("team", "list", "--role", "cs", "-f", "json").stdout) == []


def test_set_role_by_email_or_name(cli) -> None:
    cli("team", "add", "ana@acme.io", "--role", "sdr", "--name", "Ana Lima")
    assert cli("team", "set-role", "Ana Lima", "ae").exit_code == 0
    assert json.loads(cli("team", "list", "-f", "json").stdout)[0]["role"] == "ae"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss"], "role 'boss' is not one of sdr, ir, ae, cs, manager, enablement"),
        (["--role", "sdr", "--territory", "France"], "territory 'FRANCE' is not an ISO 3166"),
    ],
)
def test_add_rejects_bad_values(cli, args: list[str], message: str) -> None:
    result = cli("team", "add", "ana@acme.io", *args)
    assert result.exit_code == 2  # values typed on the command line
    assert message in result.stderr
    assert json.loads(cli("team", "list", "-f", "json").stdout) == []


def test_add_rejects_bad_email_and_duplicates(cli) -> None:
    bad = cli("team", "add", "ana@", "--role", "sdr")
    assert bad.exit_code == 2 and "email 'ana@' is not a valid address" in bad.stderr
    assert cli("team", "add", "ana@acme.io", "--role", "sdr").exit_code == 0
    duplicate = cli("team", "add", "ANA@acme.io", "--role", "ae")
    assert duplicate.exit_code == 3
    assert "rep ana@acme.io already exists" in duplicate.stderr


def test_missing_required_option_is_a_usage_error(cli) -> None:
    result = cli("team", "add", "ana@acme.io")
    assert result.exit_code == 2
    assert "--role" in result.stderr


def test_unknown_rep_is_named(cli) -> None:
    result = cli("team", "set-role", "nobody@acme.io", "ae")
    assert result.exit_code == 3
    assert "no rep 'nobody@acme.io' on the team" in result.stderr


def test_core_functions(store) -> None:
    with store.session(write=True) as session:
        add_rep(session, RepIn(email="c@acme.io", role="cs", name="Cleo"))
    with store.session() as session:
        assert find_rep(session, "Cleo").email == "c@acme.io"
        assert list_reps(session)[0]["role"] == "cs"
