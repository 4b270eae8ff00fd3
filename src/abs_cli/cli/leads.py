"""`abs leads`: Import, list, show, edit, merge, export and forget leads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from abs_cli.cli.completion import complete_rep, complete_role, complete_stage
from abs_cli.cli.options import FormatOption, LimitOption, RenamedOptionsCommand
from abs_cli.cli.playbook import PlaybookOption, playbook_in_force
from abs_cli.cli.state import get_state
from abs_cli.cli.workflow import ActingRepOption, now_or
from abs_cli.render.output import OutputFormat

app = typer.Typer(
    help="Import, list, show, edit, merge, export and forget leads.", no_args_is_help=True
)


@app.command("list", cls=RenamedOptionsCommand)
def list_(
    ctx: typer.Context,
    stage: Annotated[
        str | None,
        typer.Option(help="Stage id or step number.", autocompletion=complete_stage),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(help="Owner's e-mail or exact name.", autocompletion=complete_rep),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role", "-r", help="Owner's role (sdr, ir, ae, cs…).", autocompletion=complete_role
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Lead source (demo_request…).")] = None,
    account: Annotated[str | None, typer.Option(help="Account domain.")] = None,
    min_score: Annotated[
        int | None, typer.Option(min=0, max=100, help="Only leads scored at least this.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Only leads created on or after this date.")
    ] = None,
    where: Annotated[
        list[str],
        typer.Option(
            help="A condition on a custom field or lead column: NAME OP VALUE with = != < "
            "<= > >= (repeatable, all must hold).",
        ),
    ] = [],  # noqa: B006  (Typer reads the default, never mutates it)
    sort: Annotated[str, typer.Option(help="created, updated, email, stage or score.")] = "created",
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List leads, newest first, with filters.

    Example: abs leads list --stage qualified --owner ana@acme.io --min-score 60 -n 20

    Example: abs leads list --where 'time_on_site>600' --where 'lead_origin=API'
    """
    from abs_cli.crm.leads import list_leads
    from abs_cli.errors import UsageError
    from abs_cli.imports.values import parse_datetime
    from abs_cli.render.output import Column, Section, render

    created_since = None
    if since:
        try:
            created_since = parse_datetime(since)
        except ValueError:
            raise UsageError(f"--from {since!r} is not a date", hint="use 2026-03-31") from None
    with get_state(ctx).store().session() as session:
        rows = list_leads(
            session,
            stage=stage,
            owner=owner,
            role=role,
            source=source,
            account=account,
            min_score=min_score,
            since=created_since,
            where=where,
            sort=sort,
            limit=limit,
        )
    # A lead is named by its e-mail, else its external id (`lead`); scripts also get both.
    named = [Column("lead")]
    if output not in (OutputFormat.table, OutputFormat.markdown):
        named += [Column("email"), Column("external_id")]
    columns = [
        *named,
        Column("name"),
        Column("company"),
        Column("account"),
        Column("stage"),
        Column("owner"),
        Column("source"),
        Column("inbound"),
        Column("score", kind="int"),
        Column("created_at", kind="datetime"),
    ]
    render(Section("Leads", columns, rows), output)


@app.command("show")
def show(
    ctx: typer.Context,
    lead: Annotated[str, typer.Argument(help="The lead's e-mail or external id.")],
    playbook: PlaybookOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show a lead: fields, account, owner, its step's checklist, stage history,
    activities, and why it scores.

    The score is explained rule by rule as of now, with the scoring model in force
    (see `abs leads score --explain`).

    Example: abs leads show jo@acme.io
    """
    from abs_cli.cli.scoring import explanation_report
    from abs_cli.crm.leads import show_lead
    from abs_cli.crm.lookup import find_lead_id
    from abs_cli.enablement.checklists import lead_checklist
    from abs_cli.render.output import Column, Report, Section, render
    from abs_cli.scoring.explain import explain_lead
    from abs_cli.scoring.model import resolve_model

    state = get_state(ctx)
    loaded = playbook_in_force(state, playbook)
    with state.store().session() as session:
        shown = show_lead(session, lead)
        shown["checklist"] = lead_checklist(session, loaded.playbook, find_lead_id(session, lead))
        explained = explanation_report(
            explain_lead(session, lead, loaded=resolve_model(session)), lead.strip()
        )
    history = Section(
        "Stage history",
        [
            Column("changed_at", kind="datetime"),
            Column("from_stage"),
            Column("to_stage"),
            Column("by"),
            Column("reason"),
            Column("amount", kind="money"),
            Column("origin"),
        ],
        shown["history"],
    )
    activities = Section(
        "Activities",
        [
            Column("occurred_at", kind="datetime"),
            Column("type"),
            Column("rep"),
            Column("outcome"),
            Column("notes"),
            Column("due_at", kind="datetime"),
        ],
        shown["activities"],
    )
    sections = [Section.record("Lead", shown["lead"])]
    if shown["custom_fields"]:
        sections.append(Section.record("Custom fields", shown["custom_fields"]))
    checklist = Section(
        f"Checklist of step {shown['lead'].get('stage')}",
        [
            Column("item"),
            Column("label"),
            Column("done"),
            Column("by"),
            Column("checked_at", kind="datetime"),
        ],
        shown["checklist"],
    )
    sections += [checklist, history, activities]
    if explained is not None:
        sections += explained.sections
        shown = {**shown, "score_explanation": explained.document}
    render(Report(sections, document=shown), output)


@app.command("export")
def export(
    ctx: typer.Context,
    output: FormatOption = OutputFormat.csv,
) -> None:
    """Export every lead as CSV, JSON or JSON Lines that `abs leads import` reads back,
    custom fields included (one column each).

    Cells starting with =, +, - or @ are prefixed with ' against spreadsheet formula
    injection; the importer removes that prefix.

    Example: abs leads export > leads.csv
    """
    from abs_cli.crm.leads import export_columns, export_leads
    from abs_cli.render.output import Column, Section, render

    with get_state(ctx).store().session() as session:
        columns = [Column(name) for name in export_columns(session)]
        rows: Iterable[dict[str, Any]] = export_leads(session)
        if output in (OutputFormat.json, OutputFormat.table, OutputFormat.markdown):
            rows = list(rows)
        render(Section("Leads", columns, rows), output)


@app.command("forget")
def forget(
    ctx: typer.Context,
    lead: Annotated[str, typer.Argument(help="The lead's e-mail or external id.")],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the erasure log).")] = None,
) -> None:
    """Erase a lead's personal data (right to erasure); KPIs keep an anonymous record.

    Example: abs leads forget jo@acme.io --reason "GDPR request 2026-04-02"
    """
    from abs_cli.crm.leads import forget_lead

    state = get_state(ctx)
    with state.store().session(write=True) as session:
        lead_id = forget_lead(session, lead, reason)
    state.info(f"personal data of lead #{lead_id} erased; the erasure is logged")


@app.command("check")
def check(
    ctx: typer.Context,
    lead: Annotated[str, typer.Argument(help="The lead's e-mail or external id.")],
    item: Annotated[str, typer.Argument(help="A checklist item id of the playbook (budget…).")],
    undo: Annotated[bool, typer.Option("--undo", help="Take the tick back.")] = False,
    rep: ActingRepOption = None,
    at: Annotated[str | None, typer.Option("--at", help="When (ISO 8601; default now).")] = None,
    playbook: PlaybookOption = None,
) -> None:
    """Tick a playbook checklist item for a lead (who and when are recorded), or --undo it.

    Gates may require items (`require = ["budget"]` in abs.toml); `abs leads show` lists
    the lead's step's checklist.

    Example: abs leads check jo@client.io budget --rep ana@acme.io
    """
    from abs_cli.enablement.checklists import tick

    state = get_state(ctx)
    loaded = playbook_in_force(state, playbook)
    with state.store().session(write=True) as session:
        result = tick(
            session, loaded.playbook, lead, item, at=now_or(at, "--at"), rep=rep, undo=undo
        )
    name = f"{result.item.id} ({result.item.stage})"
    if undo:
        message = (
            f"{name} unticked for {result.lead}"
            if result.changed
            else (f"{name} was not ticked for {result.lead}; nothing to undo")
        )
    elif result.changed:
        message = f"{name} ticked for {result.lead}"
    else:
        by = f" by {result.by}" if result.by else ""
        message = f"{name} was already ticked for {result.lead}{by}"
    state.info(message)


@app.command("assignments")
def assignments(
    ctx: typer.Context,
    lead: Annotated[
        str | None, typer.Argument(help="Only this lead (e-mail or external id).")
    ] = None,
    rep: Annotated[str | None, typer.Option("--rep", help="Only assignments to this rep.")] = None,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """The routing log: when each lead went to whom, for which role, by which strategy
    and rule, and whose command routed it.

    Example: abs leads assignments --rep ana@acme.io -n 20
    """
    from abs_cli.pipeline.routing import assignment_history
    from abs_cli.render.output import Column, Section, render

    with get_state(ctx).store().session() as session:
        rows = assignment_history(session, lead=lead, rep=rep, limit=limit)
    columns = [
        Column("assigned_at", "when", kind="datetime"),
        Column("lead"),
        Column("role"),
        Column("rep"),
        Column("strategy"),
        Column("rule"),
        Column("by"),
    ]
    render(Section("Assignments", columns, rows), output)


@app.command("edit")
def edit(
    ctx: typer.Context,
    lead: Annotated[str, typer.Argument(help="The lead's e-mail or external id.")],
    assignments: Annotated[
        list[str], typer.Argument(metavar="FIELD=VALUE...", help="Fields to set.")
    ],
) -> None:
    """Set fields of a lead, validated as a leads-file row would be, and recorded.

    The edit is listed by `abs imports list` and undone by `abs imports revert ID`.
    A bad value is rejected (exit 3) naming the field.

    Example: abs leads edit jo@acme.io title="VP Sales" country=FR owner=ana@acme.io
    """
    from abs_cli.crm.edits import edit_lead

    state = get_state(ctx)
    result = edit_lead(state.store(), lead, assignments)
    if result.changed:
        state.info(f"lead #{result.lead_id} updated (edit #{result.change_id})")
    else:
        state.info(f"nothing changed: lead #{result.lead_id} already holds these values")


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The lead kept (e-mail or external id).")],
    drop: Annotated[str, typer.Argument(help="The duplicate merged into it, then deleted.")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Merge a duplicate into the lead kept: history, activities, campaigns, NPS answers
    and score move over, empty fields are filled from the duplicate; recorded.

    `abs leads unmerge MERGE` puts both leads back as they were.

    Example: abs leads merge jo@acme.io jo.smith@gmail.com
    """
    from abs_cli.crm.merges import merge_leads
    from abs_cli.render.output import Column, Report, Section, render

    state = get_state(ctx)
    result = merge_leads(state.store(), keep, drop)
    document = result.document()
    rows = [{"table": name, "rows": count} for name, count in result.moved.items()]
    title = f"Merge #{result.change_id}: lead #{result.drop_id} into lead #{result.keep_id}"
    section = Section(title, [Column("table"), Column("rows", kind="int")], rows)
    render(Report([section], document=document), output)


@app.command("unmerge")
def unmerge(
    ctx: typer.Context,
    merge_id: Annotated[int, typer.Argument(metavar="MERGE", help="The merge's id.")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Undo a merge: both leads come back exactly as they were before it.

    Refused (exit 3) when the kept lead changed since; `abs imports list --kind merge`
    lists the merges.

    Example: abs leads unmerge 14
    """
    from abs_cli.cli.changes import render_revert
    from abs_cli.imports.revert import revert_change

    render_revert(revert_change(get_state(ctx).store(), merge_id, kind="merge"), output)


@app.command("duplicates")
def duplicates(
    ctx: typer.Context,
    min_score: Annotated[
        int, typer.Option(min=0, max=100, help="Only pairs scored at least this.")
    ] = 60,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List likely duplicate leads beyond the exact e-mail, as scored pairs.

    Candidates share an account and a last name, a full name, a phone, or the e-mail
    name before the @; names are compared fuzzily. Merge a pair with `abs leads merge`.

    Example: abs leads duplicates --min-score 70
    """
    from abs_cli.crm.duplicates import find_duplicates
    from abs_cli.render.output import Column, Section, render

    with get_state(ctx).store().engine.connect() as connection:
        pairs = find_duplicates(connection, min_score=min_score, limit=limit)
    columns = [
        Column("lead"),
        Column("lead_name"),
        Column("other"),
        Column("other_name"),
        Column("score", kind="int"),
        Column("reasons"),
    ]
    render(Section("Likely duplicates", columns, [pair.document() for pair in pairs]), output)
