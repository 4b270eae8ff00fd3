"""The rejects file: a row refused once staged gets its cells as read, whether the writer
staged them (stdin) or the file is read again for them (`imports/rejects.py`)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from abs_cli.imports.engine import ImportOptions, run_import
from abs_cli.imports.registry import IMPORTERS
from abs_cli.imports.rejects import CHANGED, RejectsFile, SourceAgain

STORED = "email,external_id\na@acme.io,X1\nb@acme.io,X2\n"
SECOND = (
    "email,external_id,company,employees\n"
    'b@acme.io,X1,"Beta, Inc.",3\n'  # line 2: X1 is a's (refused once staged)
    "c@acme.io,X9,Gamma,many\n"  # line 3: refused while read
    'd@acme.io,X3,"Delta\nGroup",4\n'  # lines 4-5: a quoted cell spans two lines
    "e@acme.io,X3,Epsilon,5\n"  # line 6: X3 was given to d (refused once staged)
    "f@acme.io,X7,Phi,6\n"
)
TWICE = "external_id 'X3' is given to two e-mails in the file"
EXPECTED = [
    ["2", "external_id 'X1' belongs to another lead", "b@acme.io", "X1", "Beta, Inc.", "3"],
    ["3", "employees 'many' is not a whole number", "c@acme.io", "X9", "Gamma", "many"],
    ["6", TWICE, "e@acme.io", "X3", "Epsilon", "5"],
]


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _seed(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "first.csv"
    first.write_text(STORED)
    assert cli("leads", "import", str(first)).exit_code == 0


@pytest.mark.parametrize("source", ["file", "gzip", "stdin"])
def test_rows_refused_once_staged_keep_their_cells(cli, tmp_path: Path, source: str) -> None:
    _seed(cli, tmp_path)
    rejects = tmp_path / "second.rejects.csv"
    if source == "stdin":
        result = cli("leads", "import", "-", "--rejects", str(rejects), "-f", "json", input=SECOND)
    else:
        path = tmp_path / ("second.csv" if source == "file" else "second.csv.gz")
        data = SECOND.encode()
        path.write_bytes(data if source == "file" else gzip.compress(data))
        result = cli("leads", "import", str(path), "-f", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["rejected"] == 3
    header, *refused = _rows(rejects)
    assert header == ["line", "reason", "email", "external_id", "company", "employees"]
    assert refused == EXPECTED


def test_activities_for_unknown_leads_keep_their_cells(store, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("email\na@acme.io\n")
    run_import(store, IMPORTERS["leads"], str(leads), ImportOptions())
    path = tmp_path / "activities.csv"
    path.write_text(
        "lead_email,type,occurred_at,notes\n"
        "nobody@acme.io,call,2026-02-01T10:00:00,first\n"
        "a@acme.io,note,2026-02-02T10:00:00,kept\n"
        "a@acme.io,fax,2026-02-03T10:00:00,bad type\n"
        'ghost@acme.io,email,2026-02-04T10:00:00,"two, parts"\n'
    )
    rejects = tmp_path / "refused.csv"
    summary = run_import(
        store, IMPORTERS["activities"], str(path), ImportOptions(rejects=str(rejects))
    )
    assert (summary.inserted, summary.rejected) == (1, 3)
    lines = [(row[0], row[2:]) for row in _rows(rejects)[1:]]
    assert lines == [
        ("2", ["nobody@acme.io", "call", "2026-02-01T10:00:00", "first"]),
        ("4", ["a@acme.io", "fax", "2026-02-03T10:00:00", "bad type"]),
        ("5", ["ghost@acme.io", "email", "2026-02-04T10:00:00", "two, parts"]),
    ]


def test_a_file_changed_during_the_import_leaves_those_cells_out(store, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(STORED)
    run_import(store, IMPORTERS["leads"], str(path), ImportOptions())
    path.write_text(SECOND)
    rejects = tmp_path / "refused.csv"

    def overwrite(batch: int) -> None:
        path.write_text("email\nsomeone.else@acme.io\n")

    run_import(
        store,
        IMPORTERS["leads"],
        str(path),
        ImportOptions(rejects=str(rejects)),
        before_commit=overwrite,
    )
    refused = _rows(rejects)[1:]
    assert refused == [
        ["2", f"external_id 'X1' belongs to another lead{CHANGED}"],
        EXPECTED[1],
        ["6", TWICE + CHANGED],
    ]


def test_runs_merge_by_line_and_copy_cells_once(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('a,b\n1,x\n2,"y\nz"\n3,w\n4,v\n')
    path = tmp_path / "out.csv"
    rejects = RejectsFile(path, ["a", "b"], SourceAgain(str(source), "utf-8", ","))
    assert rejects.rereads_cells
    rejects.add(3, ["2", "y\nz"], "early")
    rejects.next_run()
    rejects.add(2, None, "late, copied")
    rejects.add(5, ["3", "w"], "late, given")
    rejects.add(6, None, "late, copied too")
    rejects.close()
    assert _rows(path) == [
        ["line", "reason", "a", "b"],
        ["2", "late, copied", "1", "x"],
        ["3", "early", "2", "y\nz"],
        ["5", "late, given", "3", "w"],
        ["6", "late, copied too", "4", "v"],
    ]
    assert not RejectsFile(path, ["a"], None).rereads_cells
    assert RejectsFile(None, ["a"], None).rereads_cells
