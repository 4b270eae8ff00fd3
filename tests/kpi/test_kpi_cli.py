"""`abs kpi` from the command line: formats, options, checks, exit codes, both databases."""

from __future__ import annotations

import json

import pytest
from conftest import PG_URL, Cli, _pg_reachable, _reset_pg_schema
from kpi_data import open_store, seed
from kpi_scenario import company

AS_OF = "2026-02-02T06:00:00Z"


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    store = open_store(cli.url)
    seed(store, **company())
    store.dispose()
    return cli


def test_report_json_is_the_documented_shape(seeded: Cli) -> None:
    result = seeded("kpi", "report", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["period"] == {"from": "2026-01", "to": "2026-01"}
    assert document["as_of"] == "2026-02-02T06:00:00Z"
    assert document["metrics"]["nps"] == 12.5
    assert document["metrics"]["mrr"] == 100
    assert document["metrics"]["ltv"] == 200  # ARPA 100 / January's churn 1/2
    assert document["metrics"]["cac"] is None  # no new customer
    assert document["goals"][0] == {
        "month": "2026-01",
        "role": None,
        "rep": None,
        "metric": "calls",
        "target": 4,
        "actual": 2,
        "attainment": 0.5,
    }


def test_report_table_has_every_section_and_the_pyramid(seeded: Cli) -> None:
    result = seeded("kpi", "report", "--period", "2026-01", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    for title in (
        "Funnel",
        "Time in step",
        "Team activity",
        "Speed to lead",
        "Goals",
        "MRR movements",
        "Revenue",
        "Customers",
        "Feature adoption",
        "Campaigns",
        "The pyramid",
    ):
        assert title in result.stdout, title
    assert "Month by month" not in result.stdout
    assert "█" in result.stdout


def test_markdown_report_over_a_range_has_trends(seeded: Cli) -> None:
    result = seeded("kpi", "revenue", "--from", "2025-12", "--to", "2026-01", "-f", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "## Month by month" in result.stdout
    assert "| mrr " in result.stdout
    assert "## The pyramid" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-13"), "error: --period '2026-13' is not a month"),
        (
            ("--period", "2026-01", "--from", "2025-01"),
            "error: --period cannot be combined with --from/--to",
        ),
        (("--from", "2026-03", "--to", "2026-01"), "error: --to 2026-01 is before --from 2026-03"),
        (("--owner", "a@x.io", "--role", "ae"), "error: --owner and --role cannot be combined"),
    ],
)
def test_bad_options_exit_2(sqlite_cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = sqlite_cli("kpi", "report", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_check_breached_exits_5_and_names_the_checks(seeded: Cli) -> None:
    result = seeded("kpi", "check", "nps>=30", "win_rate>=0.5", "cac>0", "--as-of", AS_OF)
    assert result.exit_code == 5
    assert "nps>=30" in result.stdout and "breached (null)" in result.stdout
    assert result.stderr.strip().replace("\n", " ") == (
        "error: 2 of 3 checks breached: nps>=30 (value 13); cac>0 (value n/a)"
    )


def test_check_passes_with_allow_null(seeded: Cli) -> None:
    result = seeded(
        "kpi",
        "check",
        "customer_churn_rate<=50%",
        "cac>0",
        "--allow-null",
        "--period",
        "2026-01",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(row["metric"], row["status"]) for row in rows] == [
        ("customer_churn_rate", "ok"),
        ("cac", "null"),
    ]


def test_check_unknown_metric_is_a_usage_error(sqlite_cli: Cli) -> None:
    result = sqlite_cli("kpi", "check", "happiness>3", "--period", "2026-01")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: check 'happiness>3': unknown metric 'happiness'")


def test_settings_file_is_used_and_echoed(sqlite_cli: Cli, tmp_path) -> None:
    settings = tmp_path / "kpi.toml"
    settings.write_text("gross_margin = 0.8\n[stage_probabilities]\n3 = 0.1\n")
    result = sqlite_cli(
        "kpi", "revenue", "--period", "2026-01", "--settings", str(settings), "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    echoed = json.loads(result.stdout)["settings"]
    assert echoed["gross_margin"] == 0.8
    assert echoed["stage_probabilities"] == {"3": 0.1, "4": 0.4, "5": 0.6, "6": 0.8}
    settings.write_text("gross_margin = 2\n")
    bad = sqlite_cli("kpi", "revenue", "--settings", str(settings))
    assert bad.exit_code == 3
    assert f"{settings}: gross_margin 2 must be between 0 and 1" in bad.stderr


def test_same_json_on_sqlite_and_postgresql(sqlite_url: str) -> None:
    if _pg_reachable() is not None:
        pytest.skip("no PostgreSQL server reachable")
    _reset_pg_schema()
    outputs = []
    for url in (sqlite_url, PG_URL):
        store = open_store(url)
        seed(store, **company())
        store.dispose()
        result = Cli(url)(
            "kpi", "report", "--from", "2025-11", "--to", "2026-01", "--as-of", AS_OF, "-f", "json"
        )
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


def test_demo_ends_with_the_full_report(sqlite_cli: Cli, tmp_path) -> None:
    folder = tmp_path / "company"
    folder.mkdir()
    (folder / "team.csv").write_text("email,name,role\nana@acme.io,Ana,ae\n", encoding="utf-8")
    result = sqlite_cli("demo", "--examples", str(folder))
    assert result.exit_code == 0, result.stderr
    assert "KPI report" in result.stdout
    assert result.stdout.rstrip().endswith("┘")
    assert result.stdout.index("The pyramid") > result.stdout.index("MRR movements")


def test_an_empty_default_month_names_the_last_month_with_data(seeded: Cli) -> None:
    result = seeded("kpi", "report", "--as-of", "2026-04-15", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["period"] == {"from": "2026-03", "to": "2026-03"}
    assert "2026-03 holds no data; the last month with data is 2026-02" in result.stderr


def test_a_month_with_data_or_one_asked_for_gets_no_note(seeded: Cli) -> None:
    assert seeded("kpi", "report", "--as-of", AS_OF).stderr == ""
    asked = seeded("kpi", "funnel", "--period", "2026-03", "--as-of", "2026-04-15")
    assert asked.exit_code == 0 and asked.stderr == ""


def test_an_empty_store_says_it_holds_nothing(cli: Cli) -> None:
    result = cli("kpi", "revenue", "--as-of", "2026-04-15")
    assert result.exit_code == 0, result.stderr
    assert "2026-03 holds no data: the store records nothing up to its end" in result.stderr
