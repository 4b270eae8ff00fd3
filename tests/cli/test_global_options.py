"""Global options (`--db`, `-q`, `--debug`) work before or after the subcommand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import init_store, to_url
from typer.testing import CliRunner

from abs_cli.cli.app import app, hoist_global_options


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["team", "list", "--db", "x.db"], ["--db", "x.db", "team", "list"]),
        (["team", "list", "--db=x.db", "-q"], ["--db=x.db", "-q", "team", "list"]),
        (["--debug", "kpi", "report"], ["--debug", "kpi", "report"]),
        (["leads", "import", "-", "--", "--db"], ["leads", "import", "-", "--", "--db"]),
    ],
)
def test_global_options_are_moved_before_the_subcommand(
    args: list[str], expected: list[str]
) -> None:
    assert hoist_global_options(args) == expected


def test_db_after_the_subcommand_selects_the_store(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    init_store(to_url(str(path)))
    runner = CliRunner()
    added = runner.invoke(app, ["team", "add", "ana@acme.io", "--role", "sdr", "--db", str(path)])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["team", "list", "--format", "json", "--db", str(path), "-q"])
    assert listed.exit_code == 0, listed.output
    assert [rep["email"] for rep in json.loads(listed.stdout)] == ["ana@acme.io"]
    assert not (tmp_path / "home" / "abs.db").exists()


def test_quiet_after_the_subcommand_silences_diagnostics(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "init", "--db", str(tmp_path / "q.db"), "-q"])
    assert result.exit_code == 0
    assert result.stderr == ""
