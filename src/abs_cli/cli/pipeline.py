"""`abs pipeline`: Move leads through the seven steps, with gates and handoffs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from abs_cli.cli.options import FormatOption, LimitOption
from abs_cli.cli.state import get_state
from abs_cli.cli.workflow import (
    ActingRepOption,
    ConfigOption,
    NowOption,
    OwnerOption,
    RoleOption,
    now_or,
    parse_time,
    workflow_config,
)
from abs_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from abs_cli.pipeline.moves import MoveResult
    from abs_cli.render.output import Report, Section

app = typer.Typer(
    help="Move leads through the seven steps, with gates and handoffs.\n\n"
    "Gates, stage probabilities, SLAs and routing come from a TOML file (--config, then "
    "$ABS_CONFIG, then abs.toml beside the store; built-in defaults otherwise). Its tables: "
    "pipeline.gates.STAGE (readiness, activity, amount), pipeline.probabilities, "
    "sla (speed_to_lead_minutes), sla.max_days, routing.sources (source = role) and "
    "routing.ROLE (strategy, fallback, capacity, weights, territories).",
    short_help="Move leads through the seven steps, with gates and handoffs.",
    no_args_is_help=True,
)

LeadsArgument = Annotated[
    list[str],
    typer.Argument(help="Lead e-mails or external ids; `-` reads them from stdin, one a line."),
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why; required for exits and forced moves.")
]
AmountOption = Annotated[
    str | None, typer.Option("--amount", help="The deal amount, in the store's currency.")
]
AtOption = Annotated[
    str | None, typer.Option("--at", help="When it happened (ISO 8601; default now).")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Allow skipping, moving back, reopening; bypass gates.")
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check every move, change nothing.")]


def _run_moves(
    ctx: typer.Context,
    leads: list[str],
    *,
    to: str | None,
    reason: str | None,
    amount: str | None,
    at: str | None,
    force: bool,
    dry_run: bool,
    rep: str | None,
    config: str | None,
    output: OutputFormat,
) -> None:
    """Move the leads, print one line per lead, and exit 3 if any was not moved."""
    import sys
    from decimal import Decimal, InvalidOperation

    from abs_cli.errors import InputError
    from abs_cli.pipeline.moves import Move, advance
    from abs_cli.pipeline.routing import rep_id_for
    from abs_cli.render.output import render
    from abs_cli.values import now

    state = get_state(ctx)
    settings = workflow_config(state, config)
    try:
        deal = Decimal(amount.replace(",", "")) if amount is not None else None
    except InvalidOperation:
        raise InputError(f"--amount {amount!r} is not a number") from None
    store = state.store()
    with store.session() as session:
        acting = rep_id_for(session, rep)
    keys = (line for line in sys.stdin if line.strip()) if leads == ["-"] else iter(leads)
    move = Move(
        to=to,
        reason=reason,
        amount=deal,
        at=parse_time(at, "--at"),
        force=force,
        dry_run=dry_run,
        rep_id=acting,
    )
    results = list(advance(store, (key.strip() for key in keys), move, settings, now=now()))
    render(moves_section(results), output)
    failed = sum(not result.ok for result in results)
    moved = len(results) - failed
    state.info(f"{moved:,} {'would move' if dry_run else 'moved'}, {failed:,} not moved")
    if failed:
        raise InputError(f"{failed:,} of {len(results):,} leads were not moved; see their lines")


def moves_section(results: Iterable[MoveResult]) -> Section:
    from abs_cli.render.output import Column, Section

    columns = [
        Column("lead"),
        Column("status"),
        Column("from_stage", "from"),
        Column("to_stage", "to"),
        Column("owner"),
        Column("message"),
    ]
    return Section("Moves", columns, [result.as_row() for result in results])


def _stage(value: str | None) -> str | None:
    if value is None:
        return None
    from abs_cli.domain import stage_from_user
    from abs_cli.errors import InputError

    try:
        return stage_from_user(value)
    except ValueError as error:
        raise InputError(f"--to: {error}") from None


@app.command("advance")
def advance(
    ctx: typer.Context,
    leads: LeadsArgument,
    to: Annotated[
        str | None, typer.Option("--to", help="Target stage id or step number (1-7).")
    ] = None,
    next_: Annotated[
        bool, typer.Option("--next", help="Move to the next step (the default).")
    ] = False,
    reason: ReasonOption = None,
    amount: AmountOption = None,
    at: AtOption = None,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
    rep: ActingRepOption = None,
    config: ConfigOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Move leads one step forward (or to --to), checking the rules and gates.

    Skipping steps, moving back or reopening a closed lead needs --force and --reason.
    Entering step 3 hands the lead to an AE, step 7 to a CS. Exit code 3 if any lead
    was not moved; every lead gets its own line.

    Example: abs pipeline advance ana@client.io --to proposal --amount 12000
    """
    from abs_cli.errors import UsageError

    if to is not None and next_:
        raise UsageError("give --to or --next, not both")
    _run_moves(
        ctx,
        leads,
        to=_stage(to),
        reason=reason,
        amount=amount,
        at=at,
        force=force,
        dry_run=dry_run,
        rep=rep,
        config=config,
        output=output,
    )


@app.command("win")
def win(
    ctx: typer.Context,
    leads: LeadsArgument,
    amount: AmountOption = None,
    reason: ReasonOption = None,
    at: AtOption = None,
    force: ForceOption = False,
    dry_run: DryRunOption = False,
    rep: ActingRepOption = None,
    config: ConfigOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Mark deals won (step 7, customer): hands each one to a CS.

    Example: abs pipeline win ana@client.io --amount 18000
    """
    _run_moves(
        ctx,
        leads,
        to="customer",
        reason=reason,
        amount=amount,
        at=at,
        force=force,
        dry_run=dry_run,
        rep=rep,
        config=config,
        output=output,
    )


def _exit_command(stage: str, summary: str, example: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        leads: LeadsArgument,
        reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the history).")],
        at: AtOption = None,
        force: ForceOption = False,
        dry_run: DryRunOption = False,
        rep: ActingRepOption = None,
        config: ConfigOption = None,
        output: FormatOption = OutputFormat.table,
    ) -> None:
        _run_moves(
            ctx,
            leads,
            to=stage,
            reason=reason,
            amount=None,
            at=at,
            force=force,
            dry_run=dry_run,
            rep=rep,
            config=config,
            output=output,
        )

    command.__doc__ = f"{summary}\n\nExample: {example}"
    return command


app.command("lose")(
    _exit_command(
        "lost",
        "Mark deals lost (from steps 3-6), with a reason.",
        'abs pipeline lose ana@client.io --reason "chose a competitor"',
    )
)
app.command("disqualify")(
    _exit_command(
        "disqualified",
        "Disqualify leads (from steps 1-2), with a reason.",
        'abs pipeline disqualify ana@client.io --reason "no budget"',
    )
)
app.command("churn")(
    _exit_command(
        "churned",
        "Record that customers churned (from step 7), with a reason.",
        'abs pipeline churn ana@client.io --reason "moved to in-house tool"',
    )
)


@app.command("history")
def history(
    ctx: typer.Context,
    lead: Annotated[str, typer.Argument(help="The lead's e-mail or external id.")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show a lead's stage history: every move, who made it, the owner after it.

    Example: abs pipeline history ana@client.io
    """
    from abs_cli.pipeline.moves import history as lead_history
    from abs_cli.render.output import Column, Section, render

    with get_state(ctx).store().session() as session:
        rows = lead_history(session, lead)
    columns = [
        Column("changed_at", "changed at"),
        Column("from_stage", "from"),
        Column("to_stage", "to"),
        Column("rep"),
        Column("owner"),
        Column("reason"),
        Column("amount", kind="money"),
        Column("forced"),
        Column("origin"),
    ]
    render(Section(f"History of {lead.strip()}", columns, rows), output)


@app.command("board")
def board(
    ctx: typer.Context,
    owner: OwnerOption = None,
    role: RoleOption = None,
    now: NowOption = None,
    config: ConfigOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show the board: per step, the leads, total and weighted amount, the oldest leads.

    Weighted amounts use each step's win probability (settings `probability.<stage>`,
    or pipeline.probabilities in the config file).

    Example: abs pipeline board --role ae --format json
    """
    from abs_cli.pipeline.board import board as pipeline_board
    from abs_cli.render.output import render

    state = get_state(ctx)
    settings = workflow_config(state, config)
    with state.store().session() as session:
        steps = pipeline_board(session, settings, now=now_or(now), owner=owner, role=role)
    render(board_report(steps), output)


def board_report(steps: list[dict[str, Any]]) -> Report:
    """The board as a report: one column per step in tables, one record per step in data."""
    from abs_cli.render.output import Column, Report, Section

    rows = [
        step
        | {
            "column": f"{step['step']} {step['stage']}",
            "oldest": ", ".join(
                f"{item['lead']} ({item['days_in_stage']:.0f} d)" for item in step["oldest"]
            ),
        }
        for step in steps
    ]
    columns = [
        Column("column", "step"),
        Column("leads", kind="int"),
        Column("amount", kind="money"),
        Column("probability", kind="rate", decimals=0),
        Column("weighted_amount", "weighted", kind="money"),
        Column("oldest", "oldest leads"),
    ]
    return Report([Section("Pipeline", columns, rows, transpose=True)], document=steps)


@app.command("stale")
def stale(
    ctx: typer.Context,
    owner: OwnerOption = None,
    role: RoleOption = None,
    now: NowOption = None,
    limit: LimitOption = None,
    config: ConfigOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List leads longer in their step than its limit (sla.max_days in the config).

    A lead with a planned activity still to come is not stale.

    Example: abs pipeline stale --role ae --now 2026-03-31
    """
    from abs_cli.pipeline.board import stale as stale_leads
    from abs_cli.render.output import Column, Section, render

    state = get_state(ctx)
    settings = workflow_config(state, config)
    with state.store().session() as session:
        rows = stale_leads(session, settings, now=now_or(now), owner=owner, role=role, limit=limit)
    columns = [
        Column("lead"),
        Column("stage"),
        Column("owner"),
        Column("since"),
        Column("days_in_stage", "days in stage", kind="number"),
        Column("max_days", "max days", kind="int"),
        Column("days_over", "days over", kind="number"),
    ]
    render(Section("Stale leads", columns, rows), output)
