"""`abs demo`: build a demo store from the bundled example company and show it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from abs_cli.cli.state import get_state


def demo(
    ctx: typer.Context,
    examples: Annotated[
        Path | None,
        typer.Option(help="Folder of example CSVs (default: the bundled example company)."),
    ] = None,
) -> None:
    """Build a demo store from the example company and print what it holds.

    Without --db the demo store is `demo.db` in the user data dir, never your own store;
    it is rebuilt from scratch on every run.

    Example: abs demo
    """
    from abs_cli.cli.scoring import top_leads_section
    from abs_cli.cli.team import team_section
    from abs_cli.config import data_dir
    from abs_cli.demo import build_demo, example_folder
    from abs_cli.render import Report, Section, render
    from abs_cli.scoring.ranking import top_leads
    from abs_cli.storeinfo import describe
    from abs_cli.team import list_reps

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
    build_demo(store, folder)
    with store.session() as session:
        reps = list_reps(session)
        to_call = top_leads(session)
    details = describe(store)
    render(
        Report(
            [
                team_section(reps),
                top_leads_section(to_call),
                Section.record("Store", details["rows"]),
            ]
        )
    )
    state.info(f"explore it: abs --db {state.db_option} team list")
