"""`abs accounts`: Import, list, show and target accounts (ABM)."""

from __future__ import annotations

from typing import Annotated

import typer

from abs_cli.cli.options import FormatOption, LimitOption
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

app = typer.Typer(help="Import, list, show and target accounts (ABM).", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    targets: Annotated[bool, typer.Option("--targets", help="Only ABM targets.")] = False,
    tier: Annotated[int | None, typer.Option(min=1, max=3, help="Only this tier.")] = None,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """List accounts, ABM targets first, with their owner and number of leads.

    Example: abs accounts list --targets
    """
    from abs_cli.crm.accounts import list_accounts
    from abs_cli.render.output import Column, Section, render

    with get_state(ctx).store().session() as session:
        rows = list_accounts(session, targets_only=targets, tier=tier, limit=limit)
    columns = [
        Column("domain"),
        Column("name"),
        Column("industry"),
        Column("employees", kind="int"),
        Column("country"),
        Column("target_tier", kind="int"),
        Column("owner"),
        Column("leads", kind="int"),
    ]
    render(Section("Accounts", columns, rows), output)


@app.command("show")
def show(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(help="The account's domain.")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Show an account, its custom fields, its contacts' buying roles and the uncovered
    committee roles.

    Example: abs accounts show acme.io
    """
    from abs_cli.crm.accounts import show_account
    from abs_cli.render.output import Column, Report, Section, render

    with get_state(ctx).store().session() as session:
        shown = show_account(session, domain)
    contacts = Section(
        "Contacts",
        [Column("email"), Column("name"), Column("title"), Column("buying_role"), Column("stage")],
        shown["contacts"],
    )
    uncovered = ", ".join(shown["uncovered_roles"]) or "none"
    sections = [Section.record("Account", shown["account"])]
    if shown["custom_fields"]:
        sections.append(Section.record("Custom fields", shown["custom_fields"]))
    report = Report(
        [*sections, contacts],
        document=shown,
        notes=[f"Buying-committee roles not covered: {uncovered}"],
    )
    render(report, output)


@app.command("target")
def target(
    ctx: typer.Context,
    domain: Annotated[str, typer.Argument(help="The account's domain.")],
    tier: Annotated[
        int | None, typer.Option(min=1, max=3, help="ABM tier: 1 (most strategic) to 3.")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="No longer a target.")] = False,
) -> None:
    """Mark an account as an ABM target of a tier (or remove it from the targets).

    Example: abs accounts target acme.io --tier 1
    """
    from abs_cli.crm.accounts import set_target
    from abs_cli.errors import UsageError

    if (tier is None) == (not remove):
        raise UsageError("give --tier 1|2|3 or --remove")
    state = get_state(ctx)
    with state.store().session(write=True) as session:
        account = set_target(session, domain, None if remove else tier)
    state.info(
        f"{account.domain} is now a tier {account.target_tier} target"
        if account.target_tier
        else f"{account.domain} is no longer a target"
    )
