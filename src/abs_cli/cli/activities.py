"""`abs activities`: Log, list and import sales activities and marketing touches."""

from __future__ import annotations

from typing import Annotated

import typer

from abs_cli.cli.options import FormatOption, LimitOption
from abs_cli.cli.playbook import PlaybookOption, playbook_in_force
from abs_cli.cli.state import get_state
from abs_cli.cli.workflow import ActingRepOption, now_or, parse_time
from abs_cli.domain import ACTIVITY_TYPES
from abs_cli.render.output import OutputFormat

app = typer.Typer(
    help="Log, list and import sales activities and marketing touches.", no_args_is_help=True
)

TYPE_HELP = "One of " + ", ".join(ACTIVITY_TYPES) + "."


@app.command("log")
def log(
    ctx: typer.Context,
    lead: Annotated[str, typer.Argument(help="The lead's e-mail or external id.")],
    kind: Annotated[str, typer.Option("--type", "-t", help=TYPE_HELP)],
    outcome: Annotated[
        str | None, typer.Option(help="How it went: connected, no_answer, replied…")
    ] = None,
    rep: ActingRepOption = None,
    at: Annotated[str | None, typer.Option("--at", help="When (ISO 8601; default now).")] = None,
    due: Annotated[
        str | None,
        typer.Option("--due", help="Plan it for this time (a planned activity)."),
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
    content: Annotated[
        str | None,
        typer.Option("--content", help="The playbook content piece used (see `abs content list`)."),
    ] = None,
    playbook: PlaybookOption = None,
) -> None:
    """Log an activity on a lead (or plan one with --due), with the content piece it used.

    Example: abs activities log ana@client.io --type demo --content demo-script --rep bob@acme.io
    """
    from abs_cli.crm.activities import log_activity
    from abs_cli.enablement.content import known_content

    state = get_state(ctx)
    when = now_or(at, "--at")
    content_id = None
    if content is not None:
        content_id = known_content(playbook_in_force(state, playbook).playbook, content).id
    with state.store().session(write=True) as session:
        logged = log_activity(
            session,
            lead,
            kind,
            at=when,
            rep=rep,
            outcome=outcome,
            notes=notes,
            due=parse_time(due, "--due"),
            content_id=content_id,
        )
    planned = f", due {logged['due_at']:%Y-%m-%d %H:%M}" if logged["due_at"] else ""
    used = f" using {content_id}" if content_id else ""
    state.info(f"logged {logged['type']} on {logged['lead']}{planned}{used}")


@app.command("list")
def list_(
    ctx: typer.Context,
    lead: Annotated[str | None, typer.Option(help="Only this lead.")] = None,
    rep: Annotated[str | None, typer.Option(help="Only this rep's activities.")] = None,
    kind: Annotated[str | None, typer.Option("--type", "-t", help="Only this type.")] = None,
    since: Annotated[str | None, typer.Option("--from", help="From this time on.")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Before this time.")] = None,
    planned: Annotated[bool, typer.Option("--planned", help="Only planned activities.")] = False,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List activities, newest first.

    Example: abs activities list --rep bob@acme.io --type call --from 2026-03-01
    """
    from abs_cli.crm.activities import list_activities
    from abs_cli.render.output import Column, Section, render

    with get_state(ctx).store().session() as session:
        rows = list_activities(
            session,
            lead=lead,
            rep=rep,
            kind=kind,
            since=parse_time(since, "--from"),
            until=parse_time(until, "--to"),
            planned=planned,
            limit=limit,
        )
    columns = [
        Column("occurred_at", "at"),
        Column("lead"),
        Column("type"),
        Column("outcome"),
        Column("rep"),
        Column("due_at", "due"),
        Column("content"),
        Column("notes"),
    ]
    render(Section("Activities", columns, rows), output)
