"""One name per idea across commands, the old spellings kept for scripts, and shell
completion of values (stage ids, roles, rep e-mails, metric ids, presets)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import Cli
from kpi_data import open_store, seed
from kpi_scenario import company
from typer.testing import CliRunner

from abs_cli.cli.app import app
from abs_cli.cli.completion import REPORT_METRICS, complete_rep
from abs_cli.cli.options import RENAMED_OPTIONS
from abs_cli.store.location import to_url

AS_OF = "2026-02-02T06:00:00Z"


def commands() -> Iterator[tuple[str, Any]]:
    """Every command of `abs` (Typer vendors its own Click: walked by duck typing)."""
    root = typer.main.get_command(app)
    context = typer.Context(root)

    def walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                yield from walk(command.get_command(context, name), f"{path} {name}")
        else:
            yield path, command

    yield from walk(root, "abs")


def test_the_walk_sees_every_command() -> None:
    paths = [path for path, _ in commands()]
    assert len(paths) > 40 and "abs kpi check" in paths and "abs pipeline board" in paths


def options(command: Any) -> Iterator[Any]:
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden:
            yield param


def test_one_short_flag_per_long_option_everywhere() -> None:
    """`--role` is `-r` in every command that takes it, and `-r` is never anything else."""
    shorts: dict[str, set[str | None]] = defaultdict(set)
    longs: dict[str, set[str]] = defaultdict(set)
    for _, command in commands():
        for option in options(command):
            names = [*option.opts, *option.secondary_opts]
            long = next((name for name in names if name.startswith("--")), None)
            short = next((name for name in names if not name.startswith("--")), None)
            if long is not None:
                shorts[long].add(short)
                if short is not None:
                    longs[short].add(long)
    assert {long: spellings for long, spellings in shorts.items() if len(spellings) > 1} == {}
    assert {short: names for short, names in longs.items() if len(names) > 1} == {}


def test_no_command_shows_an_old_spelling() -> None:
    for path, command in commands():
        names = {name for option in options(command) for name in option.opts}
        assert not names & set(RENAMED_OPTIONS), path


@pytest.fixture
def seeded(sqlite_cli: Cli) -> Cli:
    store = open_store(sqlite_cli.url)
    seed(store, **company())
    store.dispose()
    return sqlite_cli


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (("pipeline", "board", "--now", AS_OF), ("pipeline", "board", "--as-of", AS_OF)),
        (("pipeline", "stale", f"--now={AS_OF}"), ("pipeline", "stale", f"--as-of={AS_OF}")),
        (("queue", "--now", AS_OF), ("queue", "--as-of", AS_OF)),
        (("leads", "list", "--since", "2026-01-05"), ("leads", "list", "--from", "2026-01-05")),
    ],
)
def test_an_old_spelling_still_works_with_a_warning(seeded: Cli, old: tuple, new: tuple) -> None:
    before = seeded(*old, "--format", "json")
    after = seeded(*new, "--format", "json")
    assert before.exit_code == after.exit_code == 0, before.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)
    spelling = next(arg.split("=")[0] for arg in old if arg.split("=")[0] in RENAMED_OPTIONS)
    assert f"{spelling} is deprecated: use {RENAMED_OPTIONS[spelling]}" in before.stderr
    assert after.stderr == ""
    assert seeded("-q", *old).stderr == ""


def test_leads_list_from_filters_by_creation(seeded: Cli) -> None:
    rows = json.loads(seeded("leads", "list", "--from", "2026-01-05", "-f", "json").stdout)
    assert sorted(row["email"] for row in rows) == ["l2@two.io", "l3@x.io", "l5@x.io"]


def complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers for the last word of `words`."""
    parts = words.split(" ")
    result = CliRunner().invoke(
        app,
        [],
        prog_name="abs",
        env={
            "_ABS_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
            **(env or {}),
        },
    )
    return result.stdout.split()


def test_completes_stage_role_preset_and_metric_ids() -> None:
    assert complete("abs pipeline advance x@y.io --to dis") == ["discovery", "disqualified"]
    assert complete("abs team list --role s") == ["sdr"]
    assert complete("abs kpi report -r e") == ["enablement"]
    assert complete("abs leads import f.csv --preset sa") == ["salesforce"]
    assert complete("abs kpi check customer_ch") == ["customer_churn_rate"]
    assert complete("abs goals set --metric deals_") == [
        "deals_won",
        "deals_lost",
        "deals_won_per_rep_week",
    ]


def test_completes_rep_emails_from_the_store(seeded: Cli) -> None:
    assert complete(f"abs --db {seeded.url} queue --rep a") == ["ana@acme.io"]
    assert complete("abs team set-role s", {"ABS_DB": seeded.url}) == ["sam@acme.io"]
    assert complete(f"abs --db {seeded.url} kpi report --owner ") == [
        "ana@acme.io",
        "cat@acme.io",
        "sam@acme.io",
    ]


def test_rep_completion_never_fails_nor_creates_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "abs.db"
    assert complete(f"abs --db {missing} queue --rep a") == []
    assert not missing.parent.exists()
    context = typer.Context(typer.main.get_command(app))
    context.params = {"db": "postgresql+psycopg://nobody:wrong@127.0.0.1:1/none"}
    assert complete_rep(context, "a") == []


def test_metric_completion_lists_every_scalar_metric_of_a_report(tmp_path: Path) -> None:
    url = to_url(str(tmp_path / "abs.db"))
    store = open_store(url)
    seed(store, **company())
    store.dispose()
    result = Cli(url)("kpi", "report", "--as-of", AS_OF, "-f", "json")
    metrics: dict[str, Any] = json.loads(result.stdout)["metrics"]
    scalar = {key for key, value in metrics.items() if not isinstance(value, dict)}
    assert set(REPORT_METRICS) == scalar
