"""One `import` command for every kind of file, built by `import_command(kind)`.

All importers take the same options (docs/domain.md §3-4); only the columns differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from abs_cli.cli.completion import complete_preset
from abs_cli.cli.options import FormatOption
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

EXAMPLES: dict[str, str] = {
    "team": "abs team import team.csv",
    "leads": "abs leads import hubspot-export.csv --preset hubspot --dayfirst",
    "accounts": "abs accounts import accounts.csv --map Website=domain",
    "activities": "abs activities import calls.csv --map Date=occurred_at",
    "pipeline": 'abs pipeline import deals.csv --value "to_stage:Closed Won=customer"',
    "subscriptions": "abs subscriptions import billing.csv --map customer_domain=account",
    "spend": "abs spend import spend.csv --decimal-comma",
    "nps": "abs nps import survey.csv",
    "usage": "abs usage import events.csv.gz",
    "campaigns": "abs campaigns import campaign-members.csv",
    "tickets": "abs tickets import zendesk.csv --map Priority=severity",
    "checklist": "abs leads import-checks ticks.csv --map Done=checked_at",
    "feedback": "abs feedback import field-notes.csv --map Topic=tag",
}
NOUNS: dict[str, str] = {"checklist": "playbook checklist ticks (lead, item, when, by whom)"}

GROUP_HELP: dict[str, str] = {
    "subscriptions": "Import customer subscriptions (MRR, churn, LTV).",
    "spend": "Import monthly sales and marketing spend (CAC).",
    "nps": "Import NPS survey answers.",
    "usage": "Import product usage events (DAU/MAU, feature adoption).",
    "campaigns": "Import campaign members and responses.",
    "tickets": "Import customer support tickets (quality KPIs).",
}


def import_command(kind: str) -> Callable[..., None]:
    """The `import` command of one importer, with the options every importer shares."""

    def command(
        ctx: typer.Context,
        file: Annotated[str, typer.Argument(help="CSV file, .csv.gz, JSON Lines, or - for stdin.")],
        map_: Annotated[
            list[str],
            typer.Option("--map", help="Rename a file column: SOURCE=COLUMN (repeatable)."),
        ] = [],  # noqa: B006  (Typer reads the default, never mutates it)
        value: Annotated[
            list[str],
            typer.Option("--value", help="Translate values: COLUMN:FROM=TO (repeatable)."),
        ] = [],  # noqa: B006
        preset: Annotated[
            str | None,
            typer.Option(
                help="CRM preset: hubspot, salesforce, pipedrive (auto-detected): their "
                "headers and default stage names.",
                autocompletion=complete_preset,
            ),
        ] = None,
        encoding: Annotated[
            str | None, typer.Option(help="Text encoding (default: detected; utf-8, cp1252…).")
        ] = None,
        delimiter: Annotated[
            str | None, typer.Option(help="Delimiter: ',', ';', 'tab' or '|' (default: detected).")
        ] = None,
        dayfirst: Annotated[
            bool, typer.Option("--dayfirst", help="Read 31/03/2026 as 31 March.")
        ] = False,
        monthfirst: Annotated[
            bool, typer.Option("--monthfirst", help="Read 3/31/2026 as 31 March (US).")
        ] = False,
        decimal_comma: Annotated[
            bool, typer.Option("--decimal-comma", help="Read 1.234,50 as 1234.50.")
        ] = False,
        strict: Annotated[
            bool,
            typer.Option("--strict", help="All or nothing: fail on the first bad row."),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Validate and count; write nothing.")
        ] = False,
        rejects: Annotated[
            str | None,
            typer.Option(help="Where to write rejected rows (default: FILE.rejects.csv)."),
        ] = None,
        batch_size: Annotated[
            int | None, typer.Option(min=1, hidden=True, help="Rows per transaction.")
        ] = None,
        assign: Annotated[
            bool,
            typer.Option(
                "--assign",
                help="Leads only: then route every lead without an owner (see `abs leads assign`).",
            ),
        ] = False,
        output: FormatOption = OutputFormat.table,
    ) -> None:
        from abs_cli.imports.engine import ImportOptions, run_import
        from abs_cli.imports.registry import IMPORTERS

        state = get_state(ctx)
        if assign and kind != "leads":
            from abs_cli.errors import UsageError

            raise UsageError("--assign routes leads; it only applies to `abs leads import`")
        custom_types = {}
        if kind in ("leads", "accounts"):
            from abs_cli.imports.custom import declared_types

            custom_types = declared_types(state.location.sqlite_path)
        options = ImportOptions(
            encoding=encoding,
            delimiter=delimiter,
            preset=preset.lower() if preset else None,
            maps=map_,
            values=value,
            dayfirst=dayfirst,
            monthfirst=monthfirst,
            decimal_comma=decimal_comma,
            strict=strict,
            dry_run=dry_run,
            rejects=rejects,
            batch_size=batch_size,
            custom_types=custom_types,
        )
        store = state.store()
        with _progress(state.quiet) as progress:
            summary = run_import(store, IMPORTERS[kind], file, options, progress=progress)
        _report(state, summary, output)
        if assign and not dry_run:
            _assign_unowned(state, summary.change_id)

    command.__doc__ = (
        f"Import {NOUNS.get(kind, kind)} from a CSV file "
        "(idempotent: re-importing changes nothing).\n\n"
        "Also reads .csv.gz, stdin (-), and JSON / JSON Lines as `--format json` writes.\n\n"
        "Bad rows go to a rejects CSV with their line and reason (exit code 3).\n\n"
        f"Example: {EXAMPLES[kind]}"
    )
    command.__name__ = f"import_{kind}"
    return command


def _assign_unowned(state: Any, change_id: int | None) -> None:
    """Route the leads left without an owner, by the rules of `abs leads assign`, as part
    of the import's change set (reverting the import undoes the routing)."""
    from abs_cli.cli.workflow import workflow_config
    from abs_cli.imports.log import continued_change
    from abs_cli.pipeline.routing import assign_leads
    from abs_cli.values import now

    config = workflow_config(state, None)
    with continued_change(state.store(), change_id) as session:
        results = assign_leads(session, config, now=now(), unassigned=True)
    routed = sum(result.rep_id is not None for result in results)
    state.info(f"assigned {routed} leads; {len(results) - routed} left without an owner")


def import_group(kind: str) -> typer.Typer:
    """A command group that only imports (`abs spend import`, …)."""
    group = typer.Typer(help=GROUP_HELP[kind], no_args_is_help=True)
    group.command("import")(import_command(kind))
    return group


class _progress:
    """On a terminal, a Rich progress display: the percent of the file read with rows/s
    and the time left, then under it the rows written; nothing when stderr is piped or
    with -q."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None

    def __enter__(self) -> Callable[[Any], None] | None:
        from abs_cli.render.output import console

        err = console(stderr=True)
        if self.quiet or not err.is_terminal:
            return None
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RowsPerSecond(ProgressColumn):
            def render(self, task: Any) -> Text:
                elapsed = task.elapsed or 0.0
                rows = task.fields.get("rows", 0)
                rate = rows / elapsed if elapsed > 0 else 0.0
                return Text(f"{rows:,} rows  {rate:,.0f} rows/s")

        self.bar = Progress(
            TextColumn("{task.description:8}"),
            BarColumn(),
            TaskProgressColumn(),
            RowsPerSecond(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self.bar.start()
        tasks: dict[str, Any] = {}

        def advance(progress: Any) -> None:
            task = tasks.get(progress.phase)
            if task is None:
                task = tasks[progress.phase] = self.bar.add_task(
                    progress.phase, total=progress.total, rows=0
                )
            self.bar.update(task, completed=progress.done, total=progress.total, rows=progress.rows)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _report(state: Any, summary: Any, output: OutputFormat) -> None:
    from abs_cli.errors import ExitCode
    from abs_cli.render.output import Column, Report, Section, render

    if summary.custom_fields:
        described = [
            f"{f['name']} ({f['type']}{', new' if f['new'] else ''})" for f in summary.custom_fields
        ]
        state.info(
            f"custom fields: {', '.join(described)}; {summary.custom_values:,} values written"
        )
    if summary.unknown_columns:
        shown = summary.unknown_columns[:12]
        more = len(summary.unknown_columns) - len(shown)
        state.info("ignored columns: " + ", ".join(shown) + (f" and {more} more" if more else ""))
    counted = ["read", "inserted", "updated", "unchanged", "duplicates_in_file", "rejected"]
    if summary.accounts_created:
        counted.append("accounts_created")
    columns = [Column(name, kind="int") for name in counted] + [
        Column("seconds", kind="number", decimals=2)
    ]
    title = f"Import of {summary.kind}" + (" (dry run: nothing written)" if summary.dry_run else "")
    document = summary.document()
    render(Report([Section(title, columns, [document])], document=document), output)
    if summary.inserted + summary.updated == 0 and summary.rejected == 0 and not summary.dry_run:
        state.info("nothing changed: the store already holds every row of this file")
    if summary.rejected:
        for reason in summary.first_rejects:
            state.info(reason)
        where = f"; see {summary.rejects_path}" if summary.rejects_path else ""
        rows = "row" if summary.rejected == 1 else "rows"
        state.info(f"{summary.rejected:,} {rows} rejected{where}")
        raise typer.Exit(int(ExitCode.INPUT_REJECTED))
