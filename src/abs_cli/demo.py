"""The demo: load the bundled example company into a store."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from abs_cli.errors import UsageError
from abs_cli.store.engine import Store
from abs_cli.team import RepIn, add_rep

REPO_EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "company"


def example_folder() -> Path:
    """The example company's CSVs: from the source checkout, else generated afresh.

    The generator is seeded, so a generated copy is identical to the bundled one.
    """
    if (REPO_EXAMPLES / "team.csv").exists():
        return REPO_EXAMPLES
    raise UsageError(
        "the example company is not bundled with this install",
        hint="run `python examples/generate.py` in a checkout, or pass --examples FOLDER",
    )


def build_demo(store: Store, folder: Path) -> dict[str, Any]:
    """Load every example file into the store, then run a working day on it."""
    with (
        (folder / "team.csv").open(newline="", encoding="utf-8") as handle,
        store.session(write=True) as session,
    ):
        for row in csv.DictReader(handle):
            add_rep(session, RepIn(**{k: v or None for k, v in row.items() if k != "active"}))
    import_examples(store, folder)
    return working_day(store)


def working_day(store: Store, *, now: datetime | None = None) -> dict[str, Any]:
    """A day on the assembly line: route new leads, move the ready ones a step, show the board.

    Prospects with a first touch go to `qualified` (the readiness gate still applies);
    qualified leads with a held meeting go to `discovery`, handed to an AE.
    """
    from abs_cli.board import board
    from abs_cli.pipeline import Move, advance, ready_to_advance
    from abs_cli.routing import assign_leads
    from abs_cli.validation import now as clock
    from abs_cli.workflow_config import WorkflowConfig

    config, when = WorkflowConfig(), now or clock()
    with store.session(write=True) as session:
        assigned = assign_leads(session, config, now=when, unassigned=True)
    with store.session() as session:
        ready = ready_to_advance(session, now=when)
    moves = list(advance(store, ready, Move(reason="demo: working day"), config, now=when))
    with store.session() as session:
        steps = board(session, config, now=when)
    return {
        "assigned": sum(a.rep_id is not None for a in assigned),
        "unassigned": sum(a.rep_id is None for a in assigned),
        "moved": sum(result.ok for result in moves),
        "refused": sum(not result.ok for result in moves),
        "board": steps,
    }




DEMO_IMPORTS: tuple[str, ...] = (
    "accounts",
    "leads",
    "activities",
    "pipeline",
    "subscriptions",
    "spend",
    "nps",
    "usage",
    "campaigns",
    "tickets",
)


def import_examples(store: Store, folder: Path) -> list[str]:
    """Load the example company's other CSVs (`leads.csv`, …) through the import engine.

    Strict: example files are clean, so a bad row is a bug in them. Returns the kinds loaded.
    """
    from abs_cli.imports.engine import ImportOptions, run_import
    from abs_cli.imports.registry import IMPORTERS

    loaded = []
    for kind in DEMO_IMPORTS:
        path = folder / f"{kind}.csv"
        if path.exists():
            run_import(store, IMPORTERS[kind], str(path), ImportOptions(strict=True))
            loaded.append(kind)
    return loaded
