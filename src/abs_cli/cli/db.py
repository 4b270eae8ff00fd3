"""`abs db`: create, describe, upgrade, rebuild and back up the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from abs_cli.cli.options import FormatOption
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

app = typer.Typer(
    help="Create, describe, upgrade, rebuild and back up the store.", no_args_is_help=True
)


@app.command("init")
def init(
    ctx: typer.Context,
    currency: Annotated[
        str | None, typer.Option(help="The store's one currency (ISO 4217).")
    ] = None,
) -> None:
    """Create the store (or upgrade it) and set its currency.

    Example: abs --db sales.db db init --currency EUR
    """
    from abs_cli.store.settings import get_setting, is_stored, set_currency

    state = get_state(ctx)
    store = state.store(create=True)
    with store.session(write=True) as session:
        code = set_currency(session, currency) if currency else get_setting(session, "currency")
        chosen = currency is not None or is_stored(session, "currency")
    if chosen:
        state.info(f"store ready: {store.location.display} (currency {code})")
        return
    db = f"--db {state.db_option} " if state.db_option else ""
    state.info(
        f"store ready: {store.location.display} (currency {code}, the default; for another, "
        f"run `abs {db}db init --currency USD` before recording any amount)"
    )


@app.command("info")
def info(ctx: typer.Context, output: FormatOption = OutputFormat.table) -> None:
    """Show which store is used and why, its schema version, settings and row counts.

    Example: abs db info --format json
    """
    from abs_cli.render.output import Report, Section, render
    from abs_cli.store.info import describe

    details = describe(get_state(ctx).store())
    summary = {key: value for key, value in details.items() if key not in ("rows", "settings")}
    sections = [
        Section.record("Store", summary),
        Section.record("Settings", details["settings"]),
        Section.record("Rows", details["rows"]),
    ]
    render(Report(sections, document=details), output)


@app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Upgrade the store to the newest schema (SQLite: after a backup copy).

    Stores are also upgraded when opened; this command does it explicitly, for cron
    or before a shared PostgreSQL store is used by a newer abs.

    Example: abs db migrate
    """
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.migrate import missing_store_error, upgrade

    state = get_state(ctx)
    location = state.location
    path = location.sqlite_path
    if path is not None and not path.exists() and not location.is_default:
        raise missing_store_error(location)
    store = Store(location, make_engine(location))
    try:
        before, after = upgrade(store, create=location.is_default)
    finally:
        store.dispose()
    if before == after:
        state.info(f"schema {after} is already the newest; nothing to do")
    else:
        state.info(f"schema upgraded from {before or 'empty'} to {after}")


@app.command("rebuild")
def rebuild(ctx: typer.Context) -> None:
    """Recompute the derived data: the stage stays, and the KPI reports' monthly rollups.

    Every abs writer keeps them up to date; this is for a store written by another tool
    (SQL, a copy, a bulk load). The stays are recomputed in one transaction; the rollups
    are dropped, and the next reports rebuild the months they need.

    Example: abs db rebuild
    """
    from abs_cli.store.stays import count_stays, refresh_stays

    state = get_state(ctx)
    with state.store().session(write=True) as session:
        refresh_stays(session)
        rows = count_stays(session)
    state.info(f"stage stays rebuilt: {rows:,} rows; KPI rollups dropped, rebuilt on demand")


@app.command("backup")
def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="File (or folder) to write the copy to.")],
) -> None:
    """Copy a SQLite store safely, even while another process writes to it.

    Example: abs db backup ~/backups/abs-$(date +%F).db
    """
    from abs_cli.store.info import backup as backup_store

    state = get_state(ctx)
    size = backup_store(state.store(), target)
    state.info(f"backup written: {target} ({size:,} bytes)")
