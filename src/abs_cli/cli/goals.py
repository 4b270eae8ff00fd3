"""`abs goals`: Set and follow targets per role or rep."""

from __future__ import annotations

from typing import Annotated

import typer

from abs_cli.cli.completion import complete_goal_metric, complete_rep, complete_role
from abs_cli.cli.options import FormatOption
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

app = typer.Typer(help="Set and follow targets per role or rep.", no_args_is_help=True)


@app.command("set")
def set_(
    ctx: typer.Context,
    metric: Annotated[
        str,
        typer.Option(
            "--metric",
            help="meetings_booked, activities, calls, emails, meetings, demos, deals_won, "
            "deals_lost, won_amount, win_rate; per step conversion_1 … conversion_6 (step "
            "N to a later step); per rep and week demos_per_rep_week, "
            "activities_per_rep_week…",
            autocompletion=complete_goal_metric,
        ),
    ],
    target: Annotated[str, typer.Option("--target", help="The target for the month.")],
    period: Annotated[str, typer.Option("--period", "-p", help="The month, YYYY-MM.")],
    role: Annotated[
        str | None,
        typer.Option("--role", "-r", help="For every rep of a role.", autocompletion=complete_role),
    ] = None,
    rep: Annotated[
        str | None,
        typer.Option("--rep", help="For one rep (e-mail or name).", autocompletion=complete_rep),
    ] = None,
) -> None:
    """Set a monthly target for a role, a rep, or (with neither) the whole company.

    Step conversions and per-rep-per-week counts are targets too: e.g. 0.6 for
    conversion_2 (step 2 → 3) or 4 for demos_per_rep_week with --role ae.

    Example: abs goals set --metric meetings_booked --target 20 --period 2026-03 --role sdr
    """
    from abs_cli.kpi.goals import set_goal

    state = get_state(ctx)
    with state.store().session(write=True) as session:
        goal = set_goal(session, metric, target, period, role=role, rep=rep)
    state.info(f"goal set: {goal['metric']} {goal['target']} for {goal['scope']} in {period}")


@app.command("list")
def list_(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option("--period", "-p", help="Only this month.")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List goals with the actual so far and the attainment (actual / target).

    Example: abs goals list --period 2026-03 --format json
    """
    from abs_cli.kpi.goals import list_goals
    from abs_cli.render.output import Column, Section, render

    with get_state(ctx).store().session() as session:
        rows = list_goals(session, period=period)
    columns = [
        Column("month"),
        Column("role"),
        Column("rep"),
        Column("metric"),
        Column("target", kind="number", decimals=2),
        Column("actual", kind="number", decimals=2),
        Column("attainment", kind="bar"),
    ]
    render(Section("Goals", columns, rows), output)
