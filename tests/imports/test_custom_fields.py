"""Custom fields: a leads file's unmapped columns are kept, typed, checked, shown,
exported, filtered and undone with their import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from hypothesis import given
from hypothesis import strategies as st

from abs_cli.imports.custom import Parsing, field_name, infer_type, parse_value

FILE = (
    "email,Total Time Spent on Website,Lead Origin,Do Not Email,Visited On\n"
    "a@x.io,1200,API,No,2026-01-03\n"
    "b@x.io,35.5,Landing Page Submission,Yes,2026-01-04\n"
    "c@x.io,,API,no,\n"
)


def _import(cli: Cli, tmp_path: Path, text: str, *args: str) -> tuple[Any, Any]:
    path = tmp_path / "leads.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("leads", "import", str(path), *args, "--format", "json")
    return result, json.loads(result.stdout) if result.stdout else None


def _json(cli: Cli, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_unmapped_columns_become_typed_custom_fields(cli: Cli, tmp_path: Path) -> None:
    result, summary = _import(cli, tmp_path, FILE, "--map", "Total Time Spent on Website=time")
    assert result.exit_code == 0, result.output
    assert [(f["name"], f["type"], f["new"]) for f in summary["custom_fields"]] == [
        ("time", "number", True),
        ("lead_origin", "category", True),
        ("do_not_email", "boolean", True),
        ("visited_on", "date", True),
    ]
    assert summary["custom_values"] == 10
    assert "custom fields: time (number, new), lead_origin (category, new)" in result.stderr
    assert _json(cli, "leads", "show", "a@x.io")["custom_fields"] == {
        "time": 1200,
        "lead_origin": "API",
        "do_not_email": False,
        "visited_on": "2026-01-03T00:00:00Z",
    }
    again, summary = _import(cli, tmp_path, FILE, "--map", "Total Time Spent on Website=time")
    assert again.exit_code == 0
    assert (summary["custom_values"], summary["inserted"], summary["updated"]) == (0, 0, 0)
    assert not summary["custom_fields"][0]["new"]


def test_a_value_that_does_not_fit_its_type_is_a_reject(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, FILE)
    result, summary = _import(
        cli, tmp_path, "email,Total Time Spent on Website\nd@x.io,lots\ne@x.io,12\n"
    )
    assert result.exit_code == 3
    assert summary["rejected"] == 1 and summary["inserted"] == 1
    assert (
        "line 2: total_time_spent_on_website 'lots' is not a number (number field)" in result.stderr
    )
    strict, _ = _import(cli, tmp_path, "email,Do Not Email\nf@x.io,perhaps\n", "--strict")
    assert strict.exit_code == 3 and "nothing was imported (--strict)" in strict.stderr


def test_where_filters_on_custom_fields_safely(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, FILE, "--map", "Total Time Spent on Website=time")

    def emails(*conditions: str) -> list[str]:
        args = [item for condition in conditions for item in ("--where", condition)]
        return sorted(row["email"] for row in _json(cli, "leads", "list", *args))

    assert emails("time>600") == ["a@x.io"]
    assert emails("time<=35.5") == ["b@x.io"]
    assert emails("lead_origin=api") == ["a@x.io", "c@x.io"]
    assert emails("lead_origin=api", "do_not_email=no") == ["a@x.io", "c@x.io"]
    assert emails("visited_on>=2026-01-04") == ["b@x.io"]
    assert emails("lead_origin='API'; DROP TABLE lead") == []
    bad = cli("leads", "list", "--where", "time>lots")
    assert bad.exit_code == 2 and "'lots' is not a number" in bad.stderr
    unknown = cli("leads", "list", "--where", "shoe>1")
    assert unknown.exit_code == 2 and "no field 'shoe'" in unknown.stderr
    assert len(_json(cli, "leads", "list")) == 3  # the table is still there


def test_export_carries_custom_fields_and_imports_back(
    cli: Cli, tmp_path: Path, sqlite_url: str
) -> None:
    _import(cli, tmp_path, FILE)
    exported = cli("leads", "export").stdout
    assert exported.splitlines()[0].endswith(
        ",total_time_spent_on_website,lead_origin,do_not_email,visited_on"
    )
    copy = tmp_path / "export.csv"
    copy.write_text(exported, encoding="utf-8")
    other = Cli(sqlite_url.replace("abs.db", "copy.db"))
    assert other("db", "init").exit_code == 0
    assert other("-q", "leads", "import", str(copy)).exit_code == 0
    assert other("leads", "export").stdout == exported


def test_reverting_the_import_removes_its_fields_and_values(cli: Cli, tmp_path: Path) -> None:
    _, summary = _import(cli, tmp_path, FILE)
    assert cli("imports", "revert", str(summary["import_id"])).exit_code == 0
    assert cli("leads", "export").stdout.splitlines()[0].endswith(",external_id")


def test_the_last_valid_row_of_a_lead_gives_its_values(cli: Cli, tmp_path: Path) -> None:
    """As for every column (docs/domain.md §3.4): the winning row's cells, as if the
    earlier rows of its key were not there; a rejected row gives none, an empty cell
    leaves the stored value."""
    text = (
        "email,external_id,Lead Origin,Visited On\n"
        "a@x.io,A1,API,2026-01-03\n"
        "b@x.io,B1,Landing Page,2026-01-04\n"
        "a@x.io,A1,,2026-01-05\n"
        "c@x.io,B1,Webinar,2026-01-06\n"
    )
    result, summary = _import(cli, tmp_path, text)
    assert result.exit_code == 3, result.output  # c@x.io: B1 is b@x.io's
    assert (summary["inserted"], summary["rejected"], summary["custom_values"]) == (2, 1, 3)
    assert _json(cli, "leads", "show", "a@x.io")["custom_fields"] == {
        "visited_on": "2026-01-05T00:00:00Z"
    }
    assert _json(cli, "leads", "show", "b@x.io")["custom_fields"] == {
        "lead_origin": "Landing Page",
        "visited_on": "2026-01-04T00:00:00Z",
    }
    again, summary = _import(cli, tmp_path, "email,Lead Origin,Visited On\na@x.io,API,\n")
    assert again.exit_code == 0 and summary["custom_values"] == 1
    assert _json(cli, "leads", "show", "a@x.io")["custom_fields"] == {
        "lead_origin": "API",
        "visited_on": "2026-01-05T00:00:00Z",
    }
    assert cli("imports", "revert", str(summary["import_id"])).exit_code == 0
    assert _json(cli, "leads", "show", "a@x.io")["custom_fields"] == {
        "visited_on": "2026-01-05T00:00:00Z"
    }


def test_a_merge_moves_custom_values_the_kept_lead_lacks(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, FILE)
    merged = _json(cli, "leads", "merge", "c@x.io", "b@x.io")
    assert merged["moved"]["lead_field_value"] == 2  # time, visited_on; not lead_origin
    shown = _json(cli, "leads", "show", "c@x.io")["custom_fields"]
    assert shown["lead_origin"] == "API" and shown["visited_on"] == "2026-01-04T00:00:00Z"


NUMBERS = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, min_value=-1e9, max_value=1e9
)


@given(st.lists(NUMBERS.map(str), min_size=1, max_size=30))
def test_numbers_are_inferred_as_numbers_and_read_back_equal(values: list[str]) -> None:
    assert infer_type(values, Parsing()) == "number"
    for value in values:
        text_value, number = parse_value("number", value, Parsing())
        assert parse_value("number", text_value, Parsing()) == (text_value, number)


@given(st.text(max_size=40))
def test_a_field_name_is_snake_case_and_stable(header: str) -> None:
    name = field_name(header, 4)
    assert name == field_name(name)
    assert name and all(c.isascii() and (c.isalnum() or c == "_") for c in name)
    assert field_name("Société Générale") == "societe_generale"


def test_declared_types_win_over_inference(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "abs.toml"
    config.write_text('[fields]\n"Lead Number" = "text"\nscore = "number"\n', encoding="utf-8")
    monkeypatch.setenv("ABS_CONFIG", str(config))
    result, summary = _import(cli, tmp_path, "email,Lead Number,Score\na@x.io,123,x\nb@x.io,7,5\n")
    assert result.exit_code == 3  # 'x' is not a number
    assert [(f["name"], f["type"]) for f in summary["custom_fields"]] == [
        ("lead_number", "text"),
        ("score", "number"),
    ]
    config.write_text('[fields]\nscore = "money"\n', encoding="utf-8")
    refused, _ = _import(cli, tmp_path, "email,Score\nc@x.io,1\n")
    assert refused.exit_code == 3
    assert "fields.score = 'money' is not one of number, date, boolean" in refused.stderr


def test_an_accounts_file_has_custom_fields_of_its_own(cli: Cli, tmp_path: Path) -> None:
    def accounts(text: str) -> tuple[Any, Any]:
        path = tmp_path / "accounts.csv"
        path.write_text(text, encoding="utf-8")
        result = cli("accounts", "import", str(path), "--format", "json")
        return result, json.loads(result.stdout)

    result, summary = accounts("domain,name,ARR Band,Seats\nacme.io,Acme,10-50k,12\n")
    assert result.exit_code == 0, result.output
    assert [(f["name"], f["type"]) for f in summary["custom_fields"]] == [
        ("arr_band", "category"),
        ("seats", "number"),
    ]
    assert _json(cli, "accounts", "show", "acme.io")["custom_fields"] == {
        "arr_band": "10-50k",
        "seats": 12,
    }
    result, summary = accounts("domain,Seats\nbeta.io,many\n")
    assert result.exit_code == 3 and "seats 'many' is not a number" in result.stderr

    _import(cli, tmp_path, "email,ARR Band\na@acme.io,other\n")  # a lead field of that name
    assert _json(cli, "accounts", "show", "acme.io")["custom_fields"]["arr_band"] == "10-50k"
    assert _json(cli, "leads", "show", "a@acme.io")["custom_fields"] == {"arr_band": "other"}


def test_a_file_of_a_thousand_custom_columns(cli: Cli, tmp_path: Path) -> None:
    """Wider than a table may be (SQLite: 2,000 columns, PostgreSQL: 1,600) and than a
    compound SELECT may list (SQLite: 500 terms): the values are staged and written in
    groups of fields."""
    width = 1000
    header = "email," + ",".join(f"Extra {i}" for i in range(width))
    rows = [
        "a@x.io," + ",".join(str(i) for i in range(width)),
        "b@x.io," + ",".join("" if i % 3 else str(i * 2) for i in range(width)),
        "c@x.io," + ",".join([""] * (width - 1) + ["7"]),
    ]
    result, summary = _import(cli, tmp_path, "\n".join([header, *rows]) + "\n")
    assert result.exit_code == 0, result.output
    assert len(summary["custom_fields"]) == width
    assert summary["custom_values"] == width + len(range(0, width, 3)) + 1
    shown = _json(cli, "leads", "show", "b@x.io")["custom_fields"]
    assert shown == {f"extra_{i}": i * 2 for i in range(0, width, 3)}
    assert _json(cli, "leads", "show", "c@x.io")["custom_fields"] == {"extra_999": 7}
    again, summary = _import(cli, tmp_path, "\n".join([header, *rows]) + "\n")
    assert again.exit_code == 0
    assert summary["custom_values"] == 0
