"""`abs kpi report --format html`: one self-contained page whose numbers are the JSON's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli
from html_checks import mismatches, read_page, shown_matches
from kpi_data import open_store, seed
from kpi_scenario import company

from abs_cli.render.html import el, heatmap_chart, mrr_chart, waterfall_chart

AS_OF = "2026-02-02T06:00:00Z"
RANGE = ("--from", "2025-11", "--to", "2026-01", "--as-of", AS_OF)
CHARTS = {
    "pyramid",
    "funnel",
    "stages",
    "mrr",
    "waterfall",
    "movements",
    "cohorts-logo",
    "cohorts-revenue",
    "features",
    "checklists",
    "content-wins",
}
"""The charts of the hand-computed company: its enablement has the default playbook's
checklists and content, but no content used and no feedback."""


def _seeded(cli: Cli) -> Cli:
    store = open_store(cli.url)
    seed(store, **company())
    store.dispose()
    return cli


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    """The hand-computed company, on SQLite and PostgreSQL."""
    return _seeded(cli)


@pytest.fixture
def seeded_sqlite(sqlite_cli: Cli) -> Cli:
    return _seeded(sqlite_cli)


def _report(cli: Cli, tmp_path: Path, *args: str) -> tuple[str, dict]:
    page = tmp_path / "kpi.html"
    written = cli("kpi", "report", *args, "--format", "html", "-o", str(page))
    assert written.exit_code == 0, written.stderr
    assert written.stdout == ""
    as_json = cli("kpi", "report", *args, "--format", "json")
    assert as_json.exit_code == 0, as_json.stderr
    return page.read_text(encoding="utf-8"), json.loads(as_json.stdout)


def test_every_number_and_chart_is_the_json_s(seeded: Cli, tmp_path: Path) -> None:
    page, document = _report(seeded, tmp_path, *RANGE)
    reader = read_page(page)
    assert mismatches(page, document) == []
    keys = {key for key, _, _ in reader.numbers}
    assert {"metrics.mrr_growth_rate", "metrics.mrr", "funnel.0.reached"} <= keys
    first = next(index for index, row in enumerate(document["cohorts"]) if row["customers"])
    assert {"goals.0.attainment", f"cohorts.{first}.retention.1.revenue_retention"} <= keys
    assert f"cohorts.{first - 1}.customers" not in keys  # months before the first are left out
    assert {f"months.{index}.metrics.mrr_churn" for index in range(3)} <= keys
    # Every chart is an inline SVG, and nothing is fetched.
    assert set(reader.charts) == CHARTS
    assert all(count == 1 for count in reader.charts.values()), reader.charts
    assert reader.references == []
    assert "@import" not in page and "url(" not in page and "<script" not in page
    assert "@page { size: A4 landscape" in page


def test_a_section_command_draws_its_part(seeded_sqlite: Cli) -> None:
    result = seeded_sqlite(
        "kpi", "funnel", "--period", "2026-01", "--as-of", AS_OF, "--format", "html"
    )
    assert result.exit_code == 0, result.stderr
    reader = read_page(result.stdout)
    assert set(reader.charts) == {"funnel", "stages"}
    assert result.stdout.startswith("<!DOCTYPE html>")


def test_output_to_a_missing_folder_is_a_usage_error(sqlite_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "kpi.html"
    result = sqlite_cli("kpi", "report", "--format", "html", "-o", str(target))
    assert result.exit_code == 2
    assert "cannot write --output" in result.stderr and str(target) in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error")] == [
        next(line for line in result.stderr.splitlines() if "cannot write --output" in line)
    ]
    assert not target.parent.exists()


def test_output_file_takes_every_format(seeded_sqlite: Cli, tmp_path: Path) -> None:
    target = tmp_path / "kpi.csv"
    result = seeded_sqlite(
        "kpi", "revenue", "--period", "2026-01", "--format", "csv", "-o", str(target)
    )
    assert result.exit_code == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith("section,field,value")
    assert list(tmp_path.glob(".*partial")) == []


def test_other_commands_print_their_tables_as_a_page(sqlite_cli: Cli) -> None:
    sqlite_cli("db", "init")
    added = sqlite_cli("team", "add", "ana@acme.io", "--name", "Ana <b>Lima</b>", "--role", "sdr")
    assert added.exit_code == 0, added.stderr
    result = sqlite_cli("team", "list", "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert "<table>" in result.stdout and "ana@acme.io" in result.stdout
    assert "Ana &lt;b&gt;Lima&lt;/b&gt;" in result.stdout


def test_text_from_the_store_is_escaped() -> None:
    assert el("td", {"title": 'a"b'}, "<script>") == '<td title="a&quot;b">&lt;script&gt;</td>'


def test_a_report_of_an_empty_store_still_draws_every_chart(sqlite_cli: Cli) -> None:
    sqlite_cli("db", "init")
    args = ("kpi", "report", "--period", "2026-01", "--as-of", AS_OF)
    page = sqlite_cli(*args, "--format", "html")
    assert page.exit_code == 0, page.stderr
    document = json.loads(sqlite_cli(*args, "--format", "json").stdout)
    assert mismatches(page.stdout, document) == []
    # No usage to chart, and no closed deal to compare content's win rates on.
    assert set(read_page(page.stdout).charts) == CHARTS - {"features", "content-wins"}
    assert "No deal closed in the period" in page.stdout


@pytest.mark.parametrize(
    ("value", "text", "right"),
    [
        (0.1235, "12.4%", True),
        (0.1234, "12.4%", False),
        (1134672.005, "1,134,672.01", True),
        (1975, "−1,975.00", True),
        (-1, "-1", True),
        (None, "n/a", True),
        (0, "n/a", False),
    ],
)
def test_the_page_check_knows_half_up(value: object, text: str, right: bool) -> None:
    assert shown_matches(value, text) is right


def _bridge(start: float, new: float, churn: float) -> dict:
    end = start + new - churn
    movements = {"mrr_new": new, "mrr_expansion": 0, "mrr_reactivation": 0}
    return {
        "metrics": {"mrr_start": start, "mrr": end, "mrr_contraction": 0, "mrr_churn": churn}
        | movements
    }


def test_a_month_s_bridge_starts_its_bars_at_a_stated_round_number() -> None:
    small = waterfall_chart(_bridge(204_217.33, 5_113.92, 2_502))
    assert "MRR bars start at 180,000, not 0" in small
    assert mismatches(small, _bridge(204_217.33, 5_113.92, 2_502)) == []
    assert "bars start at" not in waterfall_chart(_bridge(35_855.17, 167_093.83, 15_944.75))
    assert "bars start at" not in waterfall_chart(_bridge(0, 100, 0))


def test_writing_a_file_says_where(sqlite_cli: Cli, tmp_path: Path) -> None:
    sqlite_cli("db", "init")
    target = tmp_path / "kpi.html"
    result = sqlite_cli("kpi", "report", "--period", "2026-01", "-f", "html", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {target}" in result.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_long_range_heat_map_shows_whole_percents() -> None:
    months = [f"2025-{month:02d}" for month in range(1, 13)] + ["2026-01", "2026-02"]

    def cohort(index: int) -> dict:
        cells = [
            {
                "month": month,
                "age": age,
                "customers": 3,
                "mrr": 30.0,
                "logo_retention": 0.9444,
                "revenue_retention": 1.0,
            }
            for age, month in enumerate(months[index:])
        ]
        return {"cohort": months[index], "customers": 3, "mrr": 30.0, "retention": cells}

    document = {"cohorts": [cohort(index) for index in range(len(months))]}
    chart = heatmap_chart(document, "logo_retention", "logo")
    assert ">94%<" in chart and "94.4%" not in chart
    assert mismatches(chart, document) == []
    short = {"cohorts": document["cohorts"][-12:]}
    assert ">94.4%<" in heatmap_chart(short, "logo_retention", "logo")


def test_many_months_turn_their_labels_and_keep_their_numbers() -> None:
    months = [
        {"month": f"20{24 + index // 12}-{index % 12 + 1:02d}", "metrics": {"mrr": 1000.0 * index}}
        for index in range(1, 25)
    ]
    document = {"metrics": {"mrr_start": 0}, "months": months}
    chart = mrr_chart(document)
    assert mismatches(chart, document) == []
    assert chart.count("rotate(-90") == 25 and chart.count("rotate(-45") == 25
    assert "rotate(" not in mrr_chart({"metrics": {"mrr_start": 0}, "months": months[:6]})
