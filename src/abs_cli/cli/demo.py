"""`abs demo`: build a demo store from the bundled example company and show it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from abs_cli.cli.state import get_state

if TYPE_CHECKING:
    from abs_cli.store.engine import Store


def demo(
    ctx: typer.Context,
    examples: Annotated[
        Path | None,
        typer.Option(help="Folder of example CSVs (default: the bundled example company)."),
    ] = None,
) -> None:
    """Build a demo store from the example company: import, score, work a day, report.

    Without --db the demo store is `demo.db` in the user data dir, never your own store;
    it is rebuilt from scratch on every run.

    Example: abs demo
    """
    from abs_cli.cli.pipeline import board_report
    from abs_cli.cli.scoring import top_leads_section
    from abs_cli.cli.team import team_section
    from abs_cli.crm.team import list_reps
    from abs_cli.demo import build_demo, example_folder
    from abs_cli.render.output import Report, Section, render
    from abs_cli.scoring.ranking import top_leads
    from abs_cli.store.info import describe
    from abs_cli.store.location import data_dir

    state = get_state(ctx)
    if state.db_option is None:
        target = data_dir() / "demo.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        state.db_option = str(target)
    folder = examples or example_folder()
    store = state.store()
    state.info(f"building the demo store {store.location.display} from {folder}")
    day = build_demo(store, folder)
    with store.session() as session:
        reps = list_reps(session)
        to_call = top_leads(session)
    details = describe(store)
    render(
        Report(
            [
                team_section(reps),
                Section.record("Store", details["rows"]),
                top_leads_section(to_call),
            ]
        )
    )
    render(board_report(day["board"]))
    state.info(
        f"working day: {day['assigned']} leads assigned ({day['unassigned']} left unassigned), "
        f"{day['moved']} moved a step, {day['refused']} held by a gate"
    )
    _kpi_report(store)
    state.info(f"explore it: abs --db {state.db_option} kpi report")


def _kpi_report(store: Store) -> None:
    """The full KPI report of the demo store's latest complete month."""
    from abs_cli.kpi.periods import iso_as_of
    from abs_cli.kpi.report import kpi_document, latest_data_time
    from abs_cli.render.kpi import report_view
    from abs_cli.render.output import render

    with store.session() as session:
        latest = latest_data_time(session)
        document = kpi_document(session, as_of=iso_as_of(latest))
    render(
        report_view(
            document, ("pipeline", "team", "revenue", "customers"), by_month=False, pyramid=True
        )
    )
