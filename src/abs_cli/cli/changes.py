"""`abs imports`: the log of imports, edits and merges, and undoing one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from abs_cli.cli.options import FormatOption, LimitOption
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from abs_cli.imports.revert import RevertResult

app = typer.Typer(
    help="List the imports, edits and merges made to the store, and revert one.",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="Only this kind: import, edit or merge.")] = None,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List every import, edit and merge, newest first: file, when, who, counts, status.

    Example: abs imports list -n 10
    """
    from abs_cli.domain import CHANGE_KINDS
    from abs_cli.errors import UsageError
    from abs_cli.imports.log import list_changes
    from abs_cli.render.output import Column, Section, render

    if kind is not None and kind not in CHANGE_KINDS:
        raise UsageError(f"--kind {kind!r} is not one of {', '.join(CHANGE_KINDS)}")
    entries = list_changes(get_state(ctx).store(), kind=kind, limit=limit)
    columns = [
        Column("id", kind="int"),
        Column("kind"),
        Column("subject"),
        Column("source"),
        Column("actor", header="who"),
        Column("started_at", header="when", kind="datetime"),
        Column("status"),
        Column("read", kind="int"),
        Column("inserted", kind="int"),
        Column("updated", kind="int"),
        Column("unchanged", kind="int"),
        Column("rejected", kind="int"),
        Column("reverted_at", kind="datetime"),
    ]
    render(Section("Imports, edits and merges", columns, [e.document() for e in entries]), output)


@app.command("revert")
def revert(
    ctx: typer.Context,
    change_id: Annotated[
        int, typer.Argument(metavar="ID", help="The id `abs imports list` shows.")
    ],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Undo an import (or an edit or merge): rows it created are removed, rows it updated
    get their previous values back, the history it wrote is removed.

    Refused (exit 3), with the reason, when a later change depends on it: revert that
    one first. KPIs after a revert are the KPIs before the import.

    Example: abs imports revert 12
    """
    from abs_cli.imports.revert import revert_change

    render_revert(revert_change(get_state(ctx).store(), change_id), output)


def render_revert(result: RevertResult, output: OutputFormat) -> None:
    """The one-line table (or document) of what a revert (or an unmerge) did."""
    from abs_cli.render.output import Column, Report, Section, render

    document = result.document()
    columns = [
        Column("id", kind="int"),
        Column("kind"),
        Column("subject"),
        Column("deleted", kind="int"),
        Column("restored", kind="int"),
        Column("reinserted", kind="int"),
    ]
    render(Report([Section("Reverted", columns, [document])], document=document), output)
