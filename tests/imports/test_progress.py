"""Progress of an import: the engine's events, and the bar a terminal shows (§3.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from abs_cli.imports.engine import ImportOptions, Progress, run_import
from abs_cli.imports.registry import IMPORTERS


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    rows = "".join(f"p{n % 9000}@acme.io,P{n}\n" for n in range(12_000))
    path.write_text("email,first_name\n" + rows + "bad@,X\n")
    return path


def test_progress_reads_the_whole_file_then_writes_each_winner(store, tmp_path: Path) -> None:
    path = _file(tmp_path)
    events: list[Progress] = []
    summary = run_import(
        store, IMPORTERS["leads"], str(path), ImportOptions(batch_size=4000), progress=events.append
    )
    reading = [event for event in events if event.phase == "reading"]
    writing = [event for event in events if event.phase == "writing"]
    assert events == reading + writing  # the file is read whole before anything is written
    assert reading[-1].done == reading[-1].total == path.stat().st_size
    assert reading[-1].rows == summary.read == 12_001
    assert [event.done for event in writing] == sorted(event.done for event in writing)
    assert writing[-1].done == writing[-1].total == summary.inserted == 9000


def test_the_bar_shows_on_a_terminal_only(
    sqlite_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path)
    piped = sqlite_cli("leads", "import", str(path))
    assert "rows/s" not in piped.stderr and piped.exit_code == 3
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich: stderr is a terminal
    quiet = sqlite_cli("-q", "leads", "import", str(path))
    assert quiet.stderr == ""
    shown = sqlite_cli("leads", "import", str(path))
    assert "reading" in shown.stderr and "rows/s" in shown.stderr and "%" in shown.stderr
    assert "writing" in shown.stderr
