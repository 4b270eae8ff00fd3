"""The import engine: reading, header matching, rejects, idempotency, strict, dry run.

Driven through `abs leads import` (and `abs team import`) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from abs_cli.store.models import Lead, StageHistory

HEADER = "email,first_name,company,employees,created_at,source,country\n"


def write(tmp_path: Path, text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(cli, *args: str):  # type: ignore[no-untyped-def]
    """`abs leads import ... --format json` → (result, summary dict or None)."""
    result = cli("leads", "import", *args, "--format", "json")
    summary = json.loads(result.stdout) if result.stdout.strip() else None
    return result, summary


def counts(summary: dict) -> tuple[int, ...]:
    keys = ("read", "inserted", "updated", "unchanged", "duplicates_in_file", "rejected")
    return tuple(summary[key] for key in keys)


def rejects(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def lead_rows(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(cli("leads", "list", "--sort", "email", "--format", "json").stdout)


def test_empty_file_is_refused(cli, tmp_path: Path) -> None:
    result, _ = run(cli, str(write(tmp_path, "")))
    assert result.exit_code == 3
    assert f"error: {tmp_path / 'leads.csv'} is empty: expected a header line" in " ".join(
        result.stderr.split()
    )


def test_header_only_imports_nothing(cli, tmp_path: Path) -> None:
    result, summary = run(cli, str(write(tmp_path, HEADER)))
    assert result.exit_code == 0
    assert counts(summary) == (0, 0, 0, 0, 0, 0)


def test_missing_required_column_writes_nothing(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "name,company\nAna,Acme\n")
    result, _ = run(cli, str(path))
    assert result.exit_code == 3
    assert (
        "error: the file has no email or external_id column (required); nothing was imported"
        in " ".join(result.stderr.split())
    )
    assert lead_rows(cli) == []


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("bob@,Bob,,,,,", "email 'bob@' is not a valid address"),
        (
            "bob@acme.io,Bob,,,31/03/2026,,",
            "created_at '31/03/2026' is not a date; expected 2026-03-31 "
            "(or --dayfirst for 31/03/2026)",
        ),
        ("bob@acme.io,Bob,,-5,,,", "employees '-5' must be 0 or more"),
        ("bob@acme.io,Bob,,many,,,", "employees 'many' is not a whole number"),
        (
            "bob@acme.io,Bob,,,,,Atlantis",
            "country 'Atlantis' is not an ISO 3166 code or a known country name",
        ),
    ],
)
def test_bad_row_goes_to_rejects_with_line_and_reason(
    cli, tmp_path: Path, cells: str, reason: str
) -> None:
    path = write(
        tmp_path, HEADER + "ana@acme.io,Ana,Acme,10,2026-03-01,webinar,FR\n" + cells + "\n"
    )
    result, summary = run(cli, str(path))
    assert result.exit_code == 3
    assert counts(summary) == (2, 1, 0, 0, 0, 1)
    assert f"line 3: {reason}" in " ".join(result.stderr.split())
    assert summary["rejects_file"] == str(tmp_path / "leads.rejects.csv")
    [reject] = rejects(tmp_path / "leads.rejects.csv")
    assert reject["line"] == "3" and reject["reason"] == reason
    assert [reject[name] for name in HEADER.strip().split(",")] == cells.split(",")
    assert [row["email"] for row in lead_rows(cli)] == ["ana@acme.io"]


def test_unknown_stage_is_rejected_and_value_translates(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "email,stage\na@acme.io,Closed Won\nb@acme.io,SQL\n")
    result, summary = run(cli, str(path))
    assert result.exit_code == 3 and summary["rejected"] == 2
    assert rejects(tmp_path / "leads.rejects.csv")[0]["reason"] == (
        "stage 'Closed Won' is not a stage; use one of prospect, qualified, discovery, demo, "
        "proposal, negotiation, customer, lost, disqualified, churned (or --value to translate)"
    )
    result, summary = run(
        cli, str(path), "--value", "stage:closed won=customer", "--value", "stage:SQL=2"
    )
    assert result.exit_code == 0 and summary["inserted"] == 2
    assert {row["email"]: row["stage"] for row in lead_rows(cli)} == {
        "a@acme.io": "customer",
        "b@acme.io": "qualified",
    }


def test_duplicates_in_file_later_row_wins_and_is_counted(cli, tmp_path: Path) -> None:
    text = HEADER + "a@acme.io,Ann,Acme,10,,,\nb@acme.io,Bob,,,,,\nA@acme.io ,Anna,,,,,\n"
    result, summary = run(cli, str(write(tmp_path, text)))
    assert result.exit_code == 0
    assert counts(summary) == (3, 2, 0, 0, 1, 0)
    first = {row["email"]: row for row in lead_rows(cli)}["a@acme.io"]
    # The last row wins whole, as if the earlier one were not there (docs/domain.md §3.4).
    assert first["name"] == "Anna" and first["company"] is None


def test_duplicates_across_batches_are_counted(cli, tmp_path: Path) -> None:
    text = HEADER + "".join(f"p{n % 7}@acme.io,P,,,,,\n" for n in range(20))
    result, summary = run(cli, str(write(tmp_path, text)), "--batch-size", "3")
    assert result.exit_code == 0
    assert summary["inserted"] == 7 and summary["duplicates_in_file"] == 13


def test_reimport_changes_nothing_and_says_so(cli, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "a@acme.io,Ann,Acme,10,2026-03-01,Demo Request,France\n")
    assert run(cli, str(path))[1]["inserted"] == 1
    result, summary = run(cli, str(path))
    assert counts(summary) == (1, 0, 0, 1, 0, 0)
    assert "nothing changed: the store already holds every row of this file" in result.stderr


def test_empty_cell_never_blanks_a_stored_value(cli, tmp_path: Path) -> None:
    run(cli, str(write(tmp_path, HEADER + "a@acme.io,Ann,Acme,10,,,FR\n")))
    _result, summary = run(cli, str(write(tmp_path, HEADER + "a@acme.io,,,12,,,\n", "b.csv")))
    assert counts(summary) == (1, 0, 1, 0, 0, 0)
    [row] = lead_rows(cli)
    assert (row["name"], row["company"]) == ("Ann", "Acme")
    shown = json.loads(cli("leads", "show", "a@acme.io", "-f", "json").stdout)["lead"]
    assert (shown["employees"], shown["country"]) == (12, "FR")


def test_bom_cp1252_semicolons_and_quoted_newlines(cli, tmp_path: Path) -> None:
    bom = write(tmp_path, "\ufeffemail,first_name\na@acme.io,Zoé\n", "bom.csv")
    cp1252 = write(
        tmp_path,
        "email;first_name;company\nb@acme.io;François;Société Générale\n",
        "fr.csv",
        encoding="cp1252",
    )
    quoted = write(
        tmp_path,
        'email,title,company\nc@acme.io,"Head of\nSales",Acme\nbad,"x\ny",z\nd@acme.io,CTO,Acme\n',
        "quoted.csv",
    )
    result, summary = run(cli, str(bom))
    assert summary["encoding"] == "utf-8-sig" and summary["inserted"] == 1
    result, summary = run(cli, str(cp1252))
    assert (summary["encoding"], summary["delimiter"], summary["inserted"]) == ("cp1252", ";", 1)
    result, summary = run(cli, str(quoted))
    assert result.exit_code == 3 and counts(summary) == (3, 2, 0, 0, 0, 1)
    assert rejects(tmp_path / "quoted.rejects.csv")[0]["line"] == "4"
    names = {row["email"]: row for row in lead_rows(cli)}
    assert names["a@acme.io"]["name"] == "Zoé"
    assert (names["b@acme.io"]["name"], names["b@acme.io"]["company"]) == (
        "François",
        "Société Générale",
    )
    shown = json.loads(cli("leads", "show", "c@acme.io", "-f", "json").stdout)["lead"]
    assert shown["title"] == "Head of\nSales"


def test_binary_file_is_refused(cli, tmp_path: Path) -> None:
    path = tmp_path / "leads.xlsx"
    path.write_bytes(b"PK\x03\x04\x00\x00\x08\x00binary\x00\x00")
    result, _ = run(cli, str(path))
    assert result.exit_code == 3
    assert f"error: {path} is a binary file, not a CSV text file" in " ".join(result.stderr.split())


def test_one_megabyte_field_is_rejected_not_fatal(cli, tmp_path: Path) -> None:
    big = "x" * 1_048_576
    path = write(tmp_path, f"email,title\na@acme.io,{big}\nb@acme.io,CTO\n")
    result, summary = run(cli, str(path))
    assert result.exit_code == 3 and counts(summary) == (2, 1, 0, 0, 0, 1)
    [reject] = rejects(tmp_path / "leads.rejects.csv")
    assert reject["reason"] == "title is longer than 200 characters (1048576)"
    assert len(reject["title"]) == 1_048_576


def test_strict_is_all_or_nothing(cli, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "a@acme.io,A,,,,,\nb@,B,,,,,\nc@acme.io,C,,,,,\n")
    result, _ = run(cli, str(path), "--strict", "--batch-size", "1")
    assert result.exit_code == 3
    assert "error: line 3: email 'b@' is not a valid address; nothing was imported (--strict)" in (
        " ".join(result.stderr.split())
    )
    assert lead_rows(cli) == []
    assert not (tmp_path / "leads.rejects.csv").exists()


def test_dry_run_counts_and_writes_nothing(cli, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "a@acme.io,A,,,,,\nb@,B,,,,,\n")
    result, summary = run(cli, str(path), "--dry-run")
    assert result.exit_code == 3
    assert summary["dry_run"] is True and counts(summary) == (2, 1, 0, 0, 0, 1)
    assert lead_rows(cli) == []
    assert not (tmp_path / "leads.rejects.csv").exists()


def test_gzip_stdin_and_explicit_options(cli, tmp_path: Path) -> None:
    gz = tmp_path / "leads.csv.gz"
    gz.write_bytes(gzip.compress(b"email,first_name\na@acme.io,Ann\n"))
    assert run(cli, str(gz))[1]["inserted"] == 1
    result = cli(
        "leads",
        "import",
        "-",
        "--delimiter",
        "|",
        "--encoding",
        "latin-1",
        "-f",
        "json",
        input="email|first_name\nb@acme.io|Bob\n",
    )
    assert json.loads(result.stdout)["inserted"] == 1
    assert {row["email"] for row in lead_rows(cli)} == {"a@acme.io", "b@acme.io"}


def test_header_aliases_map_and_unknown_columns(cli, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "E-Mail,FIRST_NAME,Last-Name,Mail Address,Favourite Colour\n"
        "a@acme.io,Ann,Lee,ann@acme.io,blue\n",
    )
    result, summary = run(cli, str(path))
    assert summary["unknown_columns"] == []  # a leads file's other columns: custom fields
    assert [field["name"] for field in summary["custom_fields"]] == [
        "mail_address",
        "favourite_colour",
    ]
    assert "custom fields: mail_address (category, new), favourite_colour" in result.stderr
    result, summary = run(
        cli, str(path), "--map", "Mail Address=email", "--map", "E-Mail=external_id"
    )
    assert summary["inserted"] == 1
    shown = json.loads(cli("leads", "show", "ann@acme.io", "-f", "json").stdout)["lead"]
    assert (shown["name"], shown["external_id"]) == ("Ann Lee", "a@acme.io")
    team = write(tmp_path, "email,role,Colour\nsam@acme.io,sdr,blue\n", "team.csv")
    result = cli("team", "import", str(team), "--map", "Colour=colour")
    assert result.exit_code == 2  # the team importer takes no custom fields
    assert "--map Colour=colour: 'colour' is not a column of this import" in result.stderr
    result = cli("team", "import", str(team), "-f", "json")
    assert json.loads(result.stdout)["unknown_columns"] == ["Colour"]


def test_a_mistyped_map_is_echoed_as_typed(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "Mail,ID\na@acme.io,CRM-1\n")
    team = write(tmp_path, "Mail,Job\nsam@acme.io,sdr\n", "team.csv")
    # The team importer takes no custom fields: a --map target it lacks is a typo.
    wrong_column = cli("team", "import", str(team), "--map", "Job=Role_Name")
    assert wrong_column.exit_code == 2
    assert "--map Job=Role_Name: 'Role_Name' is not a column" in wrong_column.stderr
    wrong_source = cli("leads", "import", str(path), "--map", "E Mail Adress=email")
    assert wrong_source.exit_code == 2
    assert "the file has no column 'E Mail Adress'" in wrong_source.stderr
    assert "its columns: Mail, ID" in wrong_source.stderr


def test_two_columns_for_one_field_are_refused_unless_map_says_which(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "email,title,Email Address\nold@acme.io,CEO,new@acme.io\n")
    refused = cli("leads", "import", str(path))
    assert refused.exit_code == 3
    assert (
        "columns 'email' (column 1) and 'Email Address' (column 3) both give email"
        in refused.stderr
    )
    assert "--map 'Email Address=email'" in refused.stderr
    assert lead_rows(cli) == []
    _, summary = run(cli, str(path), "--map", "Email Address=email")
    assert summary["inserted"] == 1 and summary["unknown_columns"] == ["email"]
    assert [row["email"] for row in lead_rows(cli)] == ["new@acme.io"]
    same = write(tmp_path, "email,E-Mail\na@acme.io,b@acme.io\n", name="same.csv")
    twice = cli("leads", "import", str(same))
    assert twice.exit_code == 3 and "remove or rename one of them" in twice.stderr


def test_a_presets_alternative_headers_are_not_two_columns(cli, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Person - Email,Organization - Name,Person - Organization,Deal - Stage\n"
        "a@acme.io,Acme Inc,Acme,Lead In\n",
    )
    result, summary = run(cli, str(path))
    assert summary["inserted"] == 1, result.stderr


def test_hubspot_and_salesforce_presets(cli, tmp_path: Path) -> None:
    hubspot = write(
        tmp_path,
        "Record ID,First Name,Email,Company Name,Original Source,Create Date,Lifecycle Stage\n"
        "901,Ann,ann@acme.io,Acme,Demo Request,2026-03-02 10:00:00,qualified\n",
        "hubspot.csv",
    )
    _result, summary = run(cli, str(hubspot))
    assert summary["preset"] == "hubspot" and summary["inserted"] == 1
    shown = json.loads(cli("leads", "show", "ann@acme.io", "-f", "json").stdout)["lead"]
    assert (shown["external_id"], shown["source"], shown["inbound"], shown["stage"]) == (
        "901",
        "demo_request",
        True,
        "qualified",
    )
    salesforce = write(
        tmp_path,
        "Lead ID;Email;Lead Source;Lead Owner\n00Q1;bob@beta.io;Cold Call;\n",
        "sf.csv",
    )
    _result, summary = run(cli, str(salesforce), "--preset", "Salesforce")
    assert summary["preset"] == "salesforce" and summary["inserted"] == 1


def test_presets_translate_their_crm_stage_names(cli, tmp_path: Path) -> None:
    hubspot = write(
        tmp_path,
        "Record ID,Email,Create Date,Lifecycle Stage\n"
        "1,ann@acme.io,2026-03-02,Sales Qualified Lead\n"
        "2,bob@acme.io,2026-03-02,marketingqualifiedlead\n"
        "3,cat@acme.io,2026-03-02,Opportunity\n",
        "hubspot.csv",
    )
    _result, summary = run(cli, str(hubspot), "--value", "stage:Opportunity=demo")
    assert summary["inserted"] == 3
    assert [(row["email"], row["stage"]) for row in lead_rows(cli)] == [
        ("ann@acme.io", "qualified"),
        ("bob@acme.io", "prospect"),
        ("cat@acme.io", "demo"),
    ]
    salesforce = write(
        tmp_path,
        "Id,Email,Status,IsConverted,SystemModstamp\n"
        "00Q1,dan@beta.io,Closed - Not Converted,false,2026-03-01\n",
        "sf.csv",
    )
    _result, summary = run(cli, str(salesforce))
    assert summary["preset"] == "salesforce"
    shown = json.loads(cli("leads", "show", "dan@beta.io", "-f", "json").stdout)["lead"]
    assert shown["stage"] == "disqualified"
    opportunities = write(
        tmp_path,
        "lead_email,StageName,changed_at,Amount\nann@acme.io,Closed Won,2026-04-01,9000\n",
        "opportunities.csv",
    )
    result = cli("pipeline", "import", str(opportunities), "--preset", "salesforce", "-f", "json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(cli("leads", "show", "ann@acme.io", "-f", "json").stdout)["lead"]
    assert shown["stage"] == "customer"


def test_rejects_file_that_cannot_be_written_is_refused_first(cli, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "ann@acme.io,Ann,Acme,10,2026-03-02,Webinar,FR\nbob@,,,,,,\n")
    missing = tmp_path / "no-such-folder" / "rejects.csv"
    result, summary = run(cli, str(path), "--rejects", str(missing))
    assert result.exit_code == 2 and summary is None
    assert f"--rejects '{missing}': the folder '{missing.parent}' does not exist" in result.stderr
    assert lead_rows(cli) == []


def test_rejects_go_to_the_current_folder_when_the_input_folder_is_read_only(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import abs_cli.imports.rejects as rejects_module

    shared = tmp_path / "shared"
    shared.mkdir()
    path = write(shared, HEADER + "ann@acme.io,Ann,Acme,10,2026-03-02,Webinar,FR\nbob@,,,,,,\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    real_access = os.access
    monkeypatch.setattr(
        rejects_module.os, "access", lambda p, mode: Path(p) != shared and real_access(p, mode)
    )
    result, summary = run(cli, str(path))
    assert result.exit_code == 3 and summary["rejects_file"] == "leads.rejects.csv"
    assert [row["line"] for row in rejects(work / "leads.rejects.csv")] == ["3"]
    assert not (shared / "leads.rejects.csv").exists()


def test_dayfirst_and_external_id_lookup(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "email,created_at,external_id\na@acme.io,31/03/2026 14:05,X1\n")
    assert run(cli, str(path), "--dayfirst")[1]["inserted"] == 1
    moved = write(tmp_path, "email,external_id,title\nann.new@acme.io,X1,CEO\n", "moved.csv")
    _result, summary = run(cli, str(moved))
    assert counts(summary) == (1, 0, 1, 0, 0, 0)
    shown = json.loads(cli("leads", "show", "ann.new@acme.io", "-f", "json").stdout)["lead"]
    assert (shown["created_at"], shown["title"]) == ("2026-03-31T14:05:00Z", "CEO")


def test_team_import_reuses_rep_rules(cli, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "email,name,role,territory,capacity,active\n"
        "Ana@Acme.io,Ana Lima,SDR,fr;be,100,yes\nbob@acme.io,Bob,boss,,,\n",
        "team.csv",
    )
    result = cli("team", "import", str(path), "-f", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["inserted"] == 1
    assert rejects(tmp_path / "team.rejects.csv")[0]["reason"] == (
        "role 'boss' is not one of sdr, ir, ae, cs, manager, enablement"
    )
    cli("team", "deactivate", "ana@acme.io")
    again = json.loads(cli("team", "import", str(path), "-f", "json").stdout)
    assert again["updated"] == 1  # active=yes in the file re-activates
    [rep] = json.loads(cli("team", "list", "-f", "json").stdout)
    assert (rep["territory"], rep["capacity"], rep["active"]) == ("FR;BE", 100, True)


def test_new_lead_history_and_stage_column(cli, store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "email,created_at,stage\na@acme.io,2026-03-01,\nb@acme.io,2026-03-02,demo\n"
    )
    run(cli, str(path))
    moved = write(tmp_path, "email,stage\na@acme.io,qualified\n", "moved.csv")
    assert run(cli, str(moved))[1]["updated"] == 1
    with store.session() as session:
        history = session.execute(
            select(Lead.email, StageHistory.from_stage, StageHistory.to_stage, StageHistory.origin)
            .join(Lead, Lead.id == StageHistory.lead_id)
            .order_by(Lead.email, StageHistory.id)
        ).all()
        assert session.scalar(select(func.count()).select_from(Lead)) == 2
    assert [tuple(row) for row in history] == [
        ("a@acme.io", None, "prospect", "import"),
        ("a@acme.io", "prospect", "qualified", "import"),
        ("b@acme.io", None, "demo", "import"),
    ]


def test_external_id_only_leads_monthfirst_and_ignored_columns(cli, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Prospect ID,Lead Source,Created,Notes\nP-1,Google,3/31/2026,x\nP-2,,,y\n,webinar,,z\n",
    )
    result, summary = run(
        cli, str(path), "--map", "Prospect ID=external_id", "--map", "Notes=", "--monthfirst"
    )
    assert result.exit_code == 3 and counts(summary) == (3, 2, 0, 0, 0, 1)
    assert summary["unknown_columns"] == []
    assert rejects(tmp_path / "leads.rejects.csv")[0]["reason"] == (
        "email and external_id are both empty (one is required)"
    )
    exported = cli("leads", "export", "-f", "json").stdout
    assert [(row["external_id"], row["created_at"]) for row in json.loads(exported)] == [
        ("P-1", "2026-03-31T00:00:00Z"),
        ("P-2", json.loads(exported)[1]["created_at"]),
    ]
    result, summary = run(
        cli, str(path), "--map", "Prospect ID=external_id", "--map", "Notes=", "--monthfirst"
    )
    assert (summary["inserted"], summary["unchanged"]) == (0, 2)


def test_locked_store_is_a_store_error(
    sqlite_cli, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.setattr("abs_cli.store.engine.BUSY_TIMEOUT_MS", 200)
    assert sqlite_cli("db", "init").exit_code == 0
    locker = sqlite3.connect(sqlite_url.split(":///", 1)[1], isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        result, _ = run(sqlite_cli, str(write(tmp_path, "email\na@acme.io\n")))
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert result.exit_code == 4
    assert "stayed locked by another process" in " ".join(result.stderr.split())


def test_external_id_and_owner_conflicts_are_rejected(cli, tmp_path: Path) -> None:
    first = write(tmp_path, "email,external_id\na@acme.io,X1\nb@acme.io,X2\n")
    assert run(cli, str(first))[1]["inserted"] == 2
    second = write(
        tmp_path,
        "email,external_id,owner\nb@acme.io,X1,\nc@acme.io,X9,\nd@acme.io,X9,\n"
        "e@acme.io,,nobody\nX2@Acme.io,X2,\n",
        "second.csv",
    )
    result, summary = run(cli, str(second))
    assert result.exit_code == 3
    assert counts(summary) == (5, 1, 1, 0, 0, 3)
    assert [(row["line"], row["reason"]) for row in rejects(tmp_path / "second.rejects.csv")] == [
        ("2", "external_id 'X1' belongs to another lead"),
        ("4", "external_id 'X9' is given to two e-mails in the file"),
        ("5", "owner 'nobody' is not a rep on the team (see `abs team list`)"),
    ]
    exported = json.loads(cli("leads", "export", "-f", "json").stdout)
    assert sorted((row["email"], row["external_id"]) for row in exported) == [
        ("a@acme.io", "X1"),
        ("c@acme.io", "X9"),
        ("x2@acme.io", "X2"),
    ]


def test_two_rows_giving_a_stored_id_leave_its_lead_alone(cli, tmp_path: Path) -> None:
    """A new e-mail taking a stored id that another row of the file also gives would
    write the same lead twice, each import undoing the other's e-mail: it is refused,
    and importing the file again writes nothing."""
    first = write(tmp_path, "email,external_id\nd@acme.io,X3\n")
    assert run(cli, str(first))[1]["inserted"] == 1
    second = write(
        tmp_path,
        "email,external_id,company\nn@acme.io,X3,New\nd@acme.io,X3,Delta\n",
        "second.csv",
    )
    for updated in (1, 0):  # d's company, then nothing
        result, summary = run(cli, str(second))
        assert result.exit_code == 3
        assert (summary["updated"], summary["unchanged"], summary["rejected"]) == (
            updated,
            1 - updated,
            1,
        )
        assert [
            (row["line"], row["reason"]) for row in rejects(tmp_path / "second.rejects.csv")
        ] == [("2", "external_id 'X3' is given to two e-mails in the file")]
    exported = json.loads(cli("leads", "export", "-f", "json").stdout)
    assert [(row["email"], row["external_id"]) for row in exported] == [("d@acme.io", "X3")]
