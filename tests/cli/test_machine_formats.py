"""Machine formats carry raw values (docs/domain.md §3.2), for every list and report command.

Each command runs on one seeded store in JSON, JSONL, CSV and TSV; the output is parsed
back with `json` and `csv` and every value is checked: numbers are numbers (no thousands
separators, no `%`, no 28-digit decimals), nothing is a Python repr, and a csv/tsv
stream is one table.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Cli
from kpi_data import open_store, seed
from kpi_scenario import company

from abs_cli.store.location import to_url

AS_OF = "2026-02-02T06:00:00Z"
BIG_MRR = "1134672.00"

COMMANDS: dict[str, tuple[str, ...]] = {
    "db info": ("db", "info"),
    "team list": ("team", "list"),
    "leads list": ("leads", "list"),
    "leads show": ("leads", "show", "l1@one.io"),
    "leads export": ("leads", "export"),
    "accounts list": ("accounts", "list"),
    "accounts show": ("accounts", "show", "one.io"),
    "activities list": ("activities", "list"),
    "pipeline history": ("pipeline", "history", "l2@two.io"),
    "pipeline board": ("pipeline", "board", "--as-of", AS_OF),
    "pipeline stale": ("pipeline", "stale", "--as-of", "2026-06-01"),
    "goals list": ("goals", "list"),
    "score backtest": ("score", "backtest"),
    "leads score --explain": ("leads", "score", "--explain", "l1@one.io", "--as-of", AS_OF),
    "queue": ("queue", "--as-of", AS_OF),
    "leads assign --dry-run": ("leads", "assign", "--unassigned", "--dry-run"),
    "pipeline advance --dry-run": (
        "pipeline",
        "advance",
        "l3@x.io",
        "--next",
        "--force",
        "--reason",
        "test",
        "--dry-run",
    ),
    "kpi report": ("kpi", "report", "--as-of", AS_OF),
    "kpi report range": ("kpi", "report", "--from", "2025-12", "--to", "2026-01", "--as-of", AS_OF),
    "kpi funnel": ("kpi", "funnel", "--as-of", AS_OF),
    "kpi revenue": ("kpi", "revenue", "--as-of", AS_OF),
    "kpi team": ("kpi", "team", "--as-of", AS_OF),
    "kpi customers": ("kpi", "customers", "--as-of", AS_OF),
    "kpi check": ("kpi", "check", "mrr>0", "win_rate>=0", "--as-of", AS_OF),
}

THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
PERCENT = re.compile(r"^-?\d+(\.\d+)?\s?%$")
LONG_DECIMAL = re.compile(r"^-?0*(?:\.0*)?[1-9][\d.]{18,}$")
"""More than 17 significant digits: a Decimal quotient's 28, not a float's repr."""
REPR = re.compile(r"Decimal\(|datetime\.|\[Decimal|^\[.*'.*\]$|^\{'")
NUMBER = re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$")


@pytest.fixture(scope="module")
def store_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """One SQLite store of the KPI scenario, with an MRR in the millions."""
    url = to_url(str(tmp_path_factory.mktemp("machine") / "abs.db"))
    store = open_store(url)
    seed(store, **company())
    seed(
        store,
        subscription=[
            {"account_id": 1, "started_at": "2025-12-01", "amount": BIG_MRR, "plan": "scale"}
        ],
    )
    store.dispose()
    return Cli(url)


def run(cli: Cli, name: str, fmt: str) -> str:
    result = cli(*COMMANDS[name], "--format", fmt)
    assert result.exit_code == 0, f"{name} --format {fmt}: {result.stderr}"
    return result.stdout


def leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def assert_raw_text(text: str, where: str) -> None:
    """A string value that is not a number dressed for people, nor a Python repr."""
    for pattern in (THOUSANDS, PERCENT, LONG_DECIMAL, REPR):
        assert not pattern.search(text), f"{where}: {text!r}"


@pytest.mark.parametrize("name", COMMANDS)
def test_json_and_jsonl_carry_json_numbers(store_cli: Cli, name: str) -> None:
    document = json.loads(run(store_cli, name, "json"))
    for value in leaves(document):
        if isinstance(value, str):
            assert_raw_text(value, f"{name} json")
    lines = run(store_cli, name, "jsonl").splitlines()
    for line in lines:
        for value in leaves(json.loads(line)):
            if isinstance(value, str):
                assert_raw_text(value, f"{name} jsonl")


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("name", COMMANDS)
def test_csv_and_tsv_are_one_table_of_raw_values(store_cli: Cli, name: str, fmt: str) -> None:
    text = run(store_cli, name, fmt)
    rows = list(csv.reader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))
    header, body = rows[0], rows[1:]
    assert len(set(header)) == len(header), header
    assert all(len(row) == len(header) for row in body), f"{name}: more than one table"
    assert "" not in header
    for row in body:
        for cell in row:
            assert_raw_text(cell, f"{name} {fmt}")
            assert cell not in ("None", "n/a", "nan", "inf"), f"{name} {fmt}: {cell!r}"


def _csv(cli: Cli, *args: str) -> list[dict[str, str]]:
    result = cli(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_a_report_of_several_sections_names_each_row_section(store_cli: Cli) -> None:
    rows = _csv(store_cli, "kpi", "funnel", "--as-of", AS_OF)
    sections = list(dict.fromkeys(row["section"] for row in rows))
    assert sections == ["report", "funnel", "time_in_step", "pipeline"]
    funnel = [row for row in rows if row["section"] == "funnel"]
    assert [row["stage"] for row in funnel][:2] == ["prospect", "qualified"]
    assert all(NUMBER.match(row["reached"]) for row in funnel)
    conversions = [float(row["conversion"]) for row in funnel if row["conversion"]]
    assert conversions and all(0 <= value <= 1 for value in conversions)
    assert funnel[-1]["conversion"] == ""  # step 7 has no next step: null, an empty cell


def test_money_to_the_cent_ratios_as_fractions(store_cli: Cli) -> None:
    rows = {
        row["metric"]: row["value"]
        for row in _csv(store_cli, "kpi", "revenue", "--as-of", AS_OF)
        if row["metric"]
    }
    assert rows["mrr"] == "1134772.00"  # 100 + 1,134,672.00 (the 50 churned in January)
    assert re.fullmatch(r"\d+\.\d{2}", rows["arr"])
    churn = float(rows["customer_churn_rate"])
    assert 0 < churn < 1
    assert rows["cac"] == ""  # null: no new customer


def test_month_by_month_carries_each_month_not_the_sparkline(store_cli: Cli) -> None:
    args = ("kpi", "report", "--from", "2025-12", "--to", "2026-01", "--as-of", AS_OF)
    months = [row for row in _csv(store_cli, *args) if row["section"] == "month_by_month"]
    assert "trend" not in months[0]
    mrr = next(row for row in months if row["metric"] == "mrr")
    assert (mrr["2025-12"], mrr["2026-01"]) == ("1134822.00", "1134772.00")
    lines = store_cli(*args, "--format", "jsonl").stdout.splitlines()
    trend = [json.loads(line) for line in lines if '"month_by_month"' in line]
    assert trend and all("trend" not in row for row in trend)


def test_kpi_report_json_keeps_the_documented_shape(store_cli: Cli) -> None:
    document = json.loads(run(store_cli, "kpi report", "json"))
    assert set(document) >= {"period", "as_of", "settings", "scope", "metrics", "months"}
    assert document["metrics"]["mrr"] == 1134772
    assert isinstance(document["metrics"]["customer_churn_rate"], float)


def test_kpi_check_json_and_csv_carry_the_raw_value(store_cli: Cli) -> None:
    checks = json.loads(run(store_cli, "kpi check", "json"))
    assert checks[0]["value"] == 1134772
    rows = _csv(store_cli, *COMMANDS["kpi check"])
    assert rows[0]["value"] == "1134772.00" and rows[0]["status"] == "ok"


def test_db_info_counts_are_numbers(store_cli: Cli) -> None:
    details = json.loads(run(store_cli, "db info", "json"))
    assert details["rows"]["lead"] == 6 and details["size_bytes"] > 0
    rows = {row["field"]: row["value"] for row in _csv(store_cli, "db", "info")}
    assert rows["lead"] == "6" and rows["currency"] == "EUR"


def test_the_board_spells_out_its_steps_for_scripts(store_cli: Cli) -> None:
    rows = _csv(store_cli, *COMMANDS["pipeline board"])
    assert list(rows[0])[:3] == ["step", "stage", "leads"]
    assert [(row["step"], row["stage"]) for row in rows][:2] == [
        ("1", "prospect"),
        ("2", "qualified"),
    ]
    oldest = json.loads(next(row["oldest"] for row in rows if row["stage"] == "proposal"))
    assert oldest[0]["lead"] == "l3@x.io"
    table = store_cli(*COMMANDS["pipeline board"]).stdout
    assert "1 prospect" in table and "l3@x.io (" in table and "'lead'" not in table
