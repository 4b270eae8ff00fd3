"""`abs --help` stays fast: it never imports the database, validation or table libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "tabulate", "alembic", "pydantic", "numpy")

PROBE = """
import json, runpy, sys
sys.argv = ["abs", *sys.argv[1:]]
try:
    runpy.run_module("abs_cli", run_name="__main__")
except SystemExit:
    pass
roots = sorted({name.split(".")[0] for name in sys.modules})
sys.stderr.write("\\nMODULES " + json.dumps(roots) + "\\n")
"""


def imported_by(*args: str) -> set[str]:
    """Top-level modules loaded by `python -m abs_cli ARGS` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    marker = result.stderr.rsplit("MODULES ", 1)[1]
    return set(json.loads(marker))


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_imports_no_heavy_library(args: tuple[str, ...]) -> None:
    loaded = imported_by(*args)
    assert "abs_cli" in loaded and "typer" in loaded  # the probe really ran the CLI
    assert sorted(loaded & set(HEAVY)) == []


def test_group_help_imports_no_database_library() -> None:
    """Below the root, Typer (≥ 0.24) itself coerces the root options' values with a
    pydantic TypeAdapter, so pydantic may load; the store's libraries never do."""
    loaded = imported_by("team", "--help")
    assert "abs_cli" in loaded
    assert sorted(loaded & (set(HEAVY) - {"pydantic"})) == []


def test_help_does_not_load_rich_markdown() -> None:
    """Typer's Rich help formatter costs ~100 ms of imports; abs uses plain help."""
    assert "markdown_it" not in imported_by("--help")


def test_help_output_through_the_console_script_entry() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "abs_cli", "--help"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("Usage: abs [OPTIONS] COMMAND [ARGS]...")
    assert "Example: abs demo" in result.stdout


def test_leads_import_loads_no_orm_models(tmp_path: Path) -> None:
    """An import reads through SQLAlchemy Core: the SQLModel classes (and the row models
    of the other importers) cost more than a small file's whole import."""
    store = str(tmp_path / "abs.db")
    subprocess.run([sys.executable, "-m", "abs_cli", "--db", store, "db", "init"], check=True)
    leads = tmp_path / "leads.csv"
    leads.write_text("email,company\nana@acme.io,Acme\n")
    loaded = imported_by("--db", store, "-q", "leads", "import", str(leads), "-f", "json")
    assert "sqlalchemy" in loaded  # the probe really imported
    assert sorted(loaded & {"sqlmodel", "tabulate", "alembic", "numpy"}) == []


def test_every_importer_is_registered_under_its_own_name() -> None:
    from abs_cli.imports.registry import IMPORTERS

    assert [IMPORTERS[name].name for name in IMPORTERS] == list(IMPORTERS)
    assert "leads" in IMPORTERS and "contacts" not in IMPORTERS
