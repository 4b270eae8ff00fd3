"""`abs team`: the reps, their role, territory and capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from abs_cli.cli.options import FormatOption
from abs_cli.cli.state import get_state
from abs_cli.cli.workflow import ConfigOption, workflow_config
from abs_cli.domain import ROLES
from abs_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from abs_cli.render.output import Section

app = typer.Typer(
    help="Manage the sales team: reps, roles, territories, capacity.", no_args_is_help=True
)

ROLE_HELP = "One of " + ", ".join(ROLES) + "."


@app.command("add")
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The rep's e-mail (their key).")],
    role: Annotated[str, typer.Option("--role", "-r", help=ROLE_HELP)],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    territory: Annotated[
        str | None, typer.Option(help="Country codes the rep covers, ';'-separated (FR;BE).")
    ] = None,
    capacity: Annotated[int | None, typer.Option(min=0, help="Maximum open leads.")] = None,
) -> None:
    """Add a rep to the team.

    Example: abs team add ana@acme.io --name "Ana Lima" --role sdr --territory "FR;BE"
    """
    from pydantic import ValidationError

    from abs_cli.crm.team import RepIn, add_rep
    from abs_cli.errors import InputError
    from abs_cli.values import validation_message

    state = get_state(ctx)
    try:
        rep_in = RepIn(email=email, name=name, role=role, territory=territory, capacity=capacity)
    except ValidationError as error:
        raise InputError(validation_message(error)) from None
    with state.store().session(write=True) as session:
        rep = add_rep(session, rep_in)
    state.info(f"added {rep.email} as {rep.role}")


@app.command("list")
def list_(
    ctx: typer.Context,
    role: Annotated[str | None, typer.Option("--role", "-r", help="Only this role.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only active reps.")] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List the team by role, with each rep's open leads.

    Example: abs team list --role ae --format csv
    """
    from abs_cli.crm.team import list_reps
    from abs_cli.render.output import render

    with get_state(ctx).store().session() as session:
        rows = list_reps(session, role=role, include_inactive=not active)
    render(team_section(rows), output)


@app.command("set-role")
def set_role(
    ctx: typer.Context,
    rep: Annotated[str, typer.Argument(help="The rep's e-mail or exact name.")],
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
) -> None:
    """Give a rep another role (a rep has one role at a time).

    Example: abs team set-role ana@acme.io ae
    """
    from abs_cli.crm.team import set_role as change_role

    state = get_state(ctx)
    with state.store().session(write=True) as session:
        changed = change_role(session, rep, role)
    state.info(f"{changed.email} is now {changed.role}")


@app.command("deactivate")
def deactivate(
    ctx: typer.Context,
    rep: Annotated[str, typer.Argument(help="The rep's e-mail or exact name.")],
    config: ConfigOption = None,
) -> None:
    """Mark a rep inactive: routing skips them from now on, and their open leads are
    reassigned by the routing rules (a lead no one can take is left unassigned).

    Example: abs team deactivate ana@acme.io
    """
    from abs_cli.pipeline.routing import deactivate_and_reassign
    from abs_cli.values import now

    state = get_state(ctx)
    settings = workflow_config(state, config)
    with state.store().session(write=True) as session:
        changed, moved = deactivate_and_reassign(session, rep, settings, now=now())
    left = sum(assignment.rep_id is None for assignment in moved)
    state.info(
        f"{changed.email} deactivated; {len(moved) - left:,} open leads reassigned, "
        f"{left:,} left unassigned"
    )


def team_section(rows: list[dict[str, Any]]) -> Section:
    from abs_cli.render.output import Column, Section

    columns = [
        Column("email"),
        Column("name"),
        Column("role"),
        Column("territory"),
        Column("capacity", kind="int"),
        Column("active"),
        Column("open_leads", kind="int"),
    ]
    return Section("Team", columns, rows)
