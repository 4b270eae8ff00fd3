"""`abs feedback`: what the field sends up, by step and tag, for marketing and product."""

from __future__ import annotations

from typing import Annotated

import typer

from abs_cli.cli.options import FormatOption, LimitOption
from abs_cli.cli.state import get_state
from abs_cli.cli.workflow import ActingRepOption, now_or, parse_time
from abs_cli.render.output import OutputFormat

app = typer.Typer(
    help="Field feedback: objections, complaints and gaps sent up by step and tag.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What the field says.")],
    step: Annotated[str, typer.Option("--step", help="The step it comes from (id or 1-7).")],
    tag: Annotated[
        str | None, typer.Option("--tag", help="A topic: pricing, security, competitor…")
    ] = None,
    lead: Annotated[
        str | None, typer.Option("--lead", help="The lead it came up with (optional).")
    ] = None,
    rep: ActingRepOption = None,
    at: Annotated[str | None, typer.Option("--at", help="When (ISO 8601; default now).")] = None,
) -> None:
    """Send feedback up from a step (without --tag it is tagged `other`).

    Example: abs feedback add --step negotiation --tag pricing "Annual prepay is a blocker"
    """
    from abs_cli.enablement.feedback import add_feedback
    from abs_cli.enablement.playbook import parse_step

    state = get_state(ctx)
    stage = parse_step(step)
    with state.store().session(write=True) as session:
        added = add_feedback(
            session, stage=stage, body=text, rep=rep, at=now_or(at, "--at"), tag=tag, lead=lead
        )
    state.info(f"feedback on {added['stage']} tagged {added['tag']} recorded for {added['rep']}")


@app.command("list")
def list_(
    ctx: typer.Context,
    step: Annotated[str | None, typer.Option("--step", help="Only this step (id or 1-7).")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only this tag.")] = None,
    rep: Annotated[str | None, typer.Option("--rep", help="Only this rep's feedback.")] = None,
    period: Annotated[
        str | None, typer.Option("--period", "-p", help="Only this month, YYYY-MM.")
    ] = None,
    since: Annotated[str | None, typer.Option("--from", help="From this time on.")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Before this time.")] = None,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List feedback, newest first, by step, tag, rep and period.

    Example: abs feedback list --step negotiation --tag pricing --period 2026-03
    """
    from abs_cli.enablement.feedback import list_feedback
    from abs_cli.enablement.playbook import parse_step
    from abs_cli.errors import UsageError
    from abs_cli.kpi.periods import month_end, month_start, parse_month
    from abs_cli.render.output import Column, Section, render

    start, end = parse_time(since, "--from"), parse_time(until, "--to")
    if period is not None:
        if since or until:
            raise UsageError("pass --period or --from/--to, not both")
        month = parse_month(period)
        start, end = month_start(month), month_end(month)
    with get_state(ctx).store().session() as session:
        rows = list_feedback(
            session,
            stage=parse_step(step) if step else None,
            tag=tag,
            rep=rep,
            since=start,
            until=end,
            limit=limit,
        )
    columns = [
        Column("created_at", "at"),
        Column("stage"),
        Column("tag"),
        Column("rep"),
        Column("lead"),
        Column("feedback"),
    ]
    render(Section("Feedback", columns, rows), output)
