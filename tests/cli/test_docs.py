"""docs/commands.md is generated from the help text, and every command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from abs_cli.cli.docs import REGENERATE, iter_commands, parameter_rows, render_reference

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
COMMANDS = list(iter_commands())


def test_reference_is_up_to_date() -> None:
    current = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    assert current == render_reference(), f"docs/commands.md is stale: run `{REGENERATE}`"


@pytest.mark.parametrize("entry", COMMANDS, ids=[entry.path for entry in COMMANDS])
def test_every_command_has_help(entry) -> None:
    assert entry.help, f"`{entry.path}` has no help text"


@pytest.mark.parametrize(
    "entry",
    [entry for entry in COMMANDS if not entry.is_group or entry.path == "abs"],
    ids=lambda entry: entry.path,
)
def test_every_command_shows_an_example(entry) -> None:
    examples = [
        line.strip() for line in entry.help.splitlines() if line.strip().startswith("Example: abs")
    ]
    assert examples, f"the help of `{entry.path}` lacks an `Example: abs ...` line"


def test_reference_lists_each_command_with_its_options() -> None:
    reference = render_reference()
    assert reference == render_reference()  # nothing depends on the terminal or the clock
    for entry in COMMANDS:
        assert f"## `{entry.path}`" in reference
    add = next(entry for entry in COMMANDS if entry.path == "abs team add")
    assert ("`--capacity`" in reference) and ("int ≥ 0" in reference)
    assert ("EMAIL", "str", "required", "The rep's e-mail (their key).") in parameter_rows(
        add.command
    )
    listing = next(entry for entry in COMMANDS if entry.path == "abs team list")
    assert (
        "--format, -f",
        "table\\|json\\|jsonl\\|csv\\|tsv\\|markdown\\|html",
        "table",
        "Output format.",
    ) in parameter_rows(listing.command)


def test_reference_does_not_depend_on_terminal_width(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    narrow = render_reference()
    monkeypatch.setenv("COLUMNS", "300")
    assert render_reference() == narrow
