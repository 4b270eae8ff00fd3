"""The demo: load the example company into a store, score it, and work a day.

The example company ships as its generator (`abs_cli.demo.company`), not as CSV files:
the same seed gives the same bytes, a wheel stays small, and the demo runs from any
install. The files are generated into a temporary folder and imported through the real
import engine, as a user's exports would be.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from abs_cli.store.engine import Store

DEMO_IMPORTS: tuple[str, ...] = (
    "team",
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
    "checklist",
    "feedback",
)
PLAYBOOK_FILE = "playbook.toml"
"""The example company's playbook, stored in the demo store before anything that names
its checklist items or content pieces is imported."""


@contextmanager
def example_company() -> Iterator[Path]:
    """A temporary folder holding the example company's CSVs, removed on exit."""
    from abs_cli.demo.company import generate

    with tempfile.TemporaryDirectory(prefix="abs-demo-") as folder:
        generate(Path(folder))
        yield Path(folder)


def build_demo(store: Store, folder: Path) -> dict[str, Any]:
    """Load every example file, score the leads, then run a working day on the store.

    The day is the one after the example data ends (not the clock's), and the result
    carries `data_end`, the latest event time of the files as imported (before the working
    day adds moves of its own), so the demo reports on its data's month whatever the date
    it is run.
    """
    from abs_cli.kpi.report import latest_data_time

    import_examples(store, folder)
    with store.session() as session:
        data_end = latest_data_time(session)
    score_demo(store)
    return {**working_day(store, now=day_after_data(store)), "data_end": data_end}


def day_after_data(store: Store) -> datetime | None:
    """Midnight UTC after the store's newest activity or lead (None for an empty store)."""
    from datetime import time, timedelta

    from abs_cli.scoring.engine import data_as_of

    with store.session() as session:
        latest = data_as_of(session)
    if latest is None:
        return None
    return datetime.combine(latest.date() + timedelta(days=1), time(), tzinfo=latest.tzinfo)


def import_examples(store: Store, folder: Path) -> list[str]:
    """Store the example company's playbook, then load its CSVs (`team.csv`, `leads.csv`,
    …) through the import engine.

    Strict: example files are clean, so a bad row is a bug in them. Returns the kinds loaded.
    """
    from abs_cli.enablement.playbook import read_playbook_file, store_playbook
    from abs_cli.imports.engine import ImportOptions, run_import
    from abs_cli.imports.registry import IMPORTERS

    loaded = []
    if (folder / PLAYBOOK_FILE).exists():
        playbook = read_playbook_file(folder / PLAYBOOK_FILE)
        with store.session(write=True) as session:
            store_playbook(session, playbook)
        loaded.append("playbook")
    for kind in DEMO_IMPORTS:
        path = folder / f"{kind}.csv"
        if path.exists():
            run_import(store, IMPORTERS[kind], str(path), ImportOptions(strict=True))
            loaded.append(kind)
    return loaded


def score_demo(store: Store) -> None:
    """Score the example company's leads with the built-in model, as of its last activity."""
    from abs_cli.scoring.engine import data_as_of, score_leads
    from abs_cli.scoring.model import resolve_model

    with store.session(write=True) as session:
        score_leads(session, resolve_model(session), as_of=data_as_of(session))


def working_day(store: Store, *, now: datetime | None = None) -> dict[str, Any]:
    """A day on the assembly line: route new leads, move the ready ones a step, show the board.

    Prospects with a first touch go to `qualified` (the readiness gate still applies);
    qualified leads with a held meeting go to `discovery`, handed to an AE.
    """
    from abs_cli.pipeline.board import board
    from abs_cli.pipeline.config import WorkflowConfig
    from abs_cli.pipeline.moves import Move, advance, ready_to_advance
    from abs_cli.pipeline.routing import assign_leads
    from abs_cli.values import now as clock

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


def demo_report(store: Store, data_end: datetime | None) -> dict[str, Any]:
    """The KPI document of the demo's own last month: the month its data ends in, as of
    that month's end, so it reads the same whatever day the demo runs (the working day's
    moves, made the day after, fall after it). A store without data reports the last
    complete month."""
    from abs_cli.kpi.periods import month_end, month_of
    from abs_cli.kpi.report import kpi_document
    from abs_cli.values import iso, now

    with store.session() as session:
        if data_end is None:
            return kpi_document(session)
        month = month_of(data_end)
        as_of = min(month_end(month), now())
        return kpi_document(session, period=month, as_of=iso(as_of))
