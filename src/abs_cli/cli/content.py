"""`abs content`: the playbook's content pieces per step, and the stale ones."""

from __future__ import annotations

from typing import Annotated

import typer

from abs_cli.cli.options import FormatOption
from abs_cli.cli.playbook import PlaybookOption, playbook_in_force
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

app = typer.Typer(
    help="Sales content from the playbook: what to use at each step, what needs review.\n\n"
    "Record a piece used with `abs activities log LEAD --type demo --content ID`.",
    short_help="Sales content from the playbook: what to use at each step, what needs review.",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    ctx: typer.Context,
    step: Annotated[str | None, typer.Option("--step", help="Only this step (id or 1-7).")] = None,
    playbook: PlaybookOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List the content pieces, in step order, with their owner and review date.

    Example: abs content list --step negotiation
    """
    from abs_cli.enablement.content import content_rows
    from abs_cli.enablement.playbook import parse_step
    from abs_cli.render.enablement import content_section
    from abs_cli.render.output import render
    from abs_cli.values import now

    stage = parse_step(step) if step else None
    loaded = playbook_in_force(get_state(ctx), playbook)
    render(content_section("Content", content_rows(loaded.playbook, now().date(), stage)), output)


@app.command("stale")
def stale(
    ctx: typer.Context,
    playbook: PlaybookOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Content past its review date, by owner, the longest overdue first.

    Example: abs content stale --format csv
    """
    from abs_cli.enablement.content import stale_rows
    from abs_cli.render.enablement import content_section
    from abs_cli.render.output import render
    from abs_cli.values import now

    loaded = playbook_in_force(get_state(ctx), playbook)
    rows = stale_rows(loaded.playbook, now().date())
    render(content_section("Stale content", rows), output)
