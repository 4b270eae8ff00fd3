"""`abs leads assign` and `abs queue`: routing leads to reps, and each rep's work list."""

from __future__ import annotations

from typing import Annotated

import typer

from abs_cli.cli.completion import complete_rep
from abs_cli.cli.options import AsOfOption, FormatOption, LimitOption
from abs_cli.cli.playbook import PlaybookOption, playbook_in_force
from abs_cli.cli.state import get_state
from abs_cli.cli.workflow import (
    ActingRepOption,
    ConfigOption,
    RoleOption,
    now_or,
    workflow_config,
)
from abs_cli.render.output import OutputFormat


def assign(
    ctx: typer.Context,
    leads: Annotated[
        list[str] | None,
        typer.Argument(help="Leads to (re)route, by e-mail or external id.", show_default=False),
    ] = None,
    unassigned: Annotated[
        bool, typer.Option("--unassigned", help="Route every lead in steps 1-7 with no owner.")
    ] = False,
    limit: LimitOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, change nothing.")] = False,
    rep: ActingRepOption = None,
    config: ConfigOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Assign leads to reps by the routing rules, logging the rule that chose each rep
    (and who ran the command, with --rep or $ABS_REP).

    Steps 1-2 go by source (inbound → IR, outbound and referrals → SDR), steps 3-6 to an
    AE, step 7 to a CS; strategies, territories, weights and caps come from the config.

    Example: abs leads assign --unassigned --dry-run
    """
    from abs_cli.crm.lookup import find_lead_id
    from abs_cli.errors import UsageError
    from abs_cli.pipeline.routing import assign_leads, rep_id_for
    from abs_cli.render.output import Column, Section, render
    from abs_cli.values import now

    if not leads and not unassigned:
        raise UsageError("name the leads to assign, or pass --unassigned")
    state = get_state(ctx)
    settings = workflow_config(state, config)
    with state.store().session(write=not dry_run) as session:
        ids = [find_lead_id(session, key) for key in leads or []]
        results = assign_leads(
            session,
            settings,
            now=now(),
            lead_ids=ids,
            unassigned=unassigned,
            limit=limit,
            dry_run=dry_run,
            by=rep_id_for(session, rep),
        )
    rows = [
        {
            "lead": result.lead,
            "role": result.role,
            "rep": result.rep_email,
            "rule": result.rule,
        }
        for result in results
    ]
    render(
        Section(
            "Assignments", [Column("lead"), Column("role"), Column("rep"), Column("rule")], rows
        ),
        output,
    )
    left = sum(result.rep_id is None for result in results)
    verb = "would assign" if dry_run else "assigned"
    state.info(f"{verb} {len(results) - left:,} leads; {left:,} left unassigned")


def queue(
    ctx: typer.Context,
    rep: Annotated[
        str | None,
        typer.Option(
            "--rep", help="This rep's queue (e-mail or name).", autocompletion=complete_rep
        ),
    ] = None,
    role: RoleOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N leads.")] = 50,
    as_of: AsOfOption = None,
    config: ConfigOption = None,
    playbook: PlaybookOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Today's work list: breached SLAs first, then by score, then the longest waiting.

    Each lead comes with the next suggested action and the next unticked item of its
    step's playbook checklist.

    Example: abs queue --rep ana@acme.io
    """
    from abs_cli.pipeline.queue import work_queue
    from abs_cli.render.output import Column, Section, render

    state = get_state(ctx)
    settings = workflow_config(state, config)
    loaded = playbook_in_force(state, playbook)
    with state.store().session() as session:
        rows = work_queue(
            session,
            settings,
            now=now_or(as_of),
            rep=rep,
            role=role,
            limit=limit,
            playbook=loaded.playbook,
        )
    columns = [
        Column("rank", kind="int"),
        Column("lead"),
        Column("stage"),
        Column("owner"),
        Column("sla", "SLA"),
        Column("score", kind="int"),
        Column("days_in_stage", "days in stage", kind="number"),
        Column("next_due", "next due"),
        Column("next_action", "next action"),
        Column("next_item", "next checklist item"),
    ]
    render(Section("Queue", columns, rows), output)
