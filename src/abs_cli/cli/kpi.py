"""`abs kpi`: KPI reports: pipeline, team, revenue, customers, and threshold checks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from abs_cli.cli.completion import complete_check, complete_rep, complete_role
from abs_cli.cli.options import FormatOption
from abs_cli.cli.playbook import PlaybookOption
from abs_cli.cli.state import get_state
from abs_cli.errors import UsageError
from abs_cli.render.output import OutputFormat

app = typer.Typer(
    help="KPI reports: pipeline, team, revenue, customers, enablement.", no_args_is_help=True
)

PeriodOption = Annotated[
    str | None,
    typer.Option("--period", "-p", help="One month, YYYY-MM (default: the last complete month)."),
]
FromOption = Annotated[str | None, typer.Option("--from", help="First month of a range, YYYY-MM.")]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last month of a range (default: last complete month).")
]
ByMonthOption = Annotated[
    bool, typer.Option("--by-month", help="Add the month-by-month table even for one month.")
]
OwnerOption = Annotated[
    str | None,
    typer.Option(
        "--owner", help="Only leads and accounts owned by this rep.", autocompletion=complete_rep
    ),
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        "-r",
        help="Only leads and accounts owned by reps of this role.",
        autocompletion=complete_role,
    ),
]
SourceOption = Annotated[
    str | None, typer.Option("--source", help="Only leads from this source (e.g. webinar).")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Report as of this UTC time (default: now); sets the default period."
    ),
]
SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings", help="TOML file of KPI settings (gross_margin, stage_probabilities…)."
    ),
]
ModeOption = Annotated[
    str,
    typer.Option(
        "--mode", help="Funnel: cohort (leads created in the period) or period (entries)."
    ),
]

OutputFileOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of stdout (e.g. report.html)."),
]


def _document(ctx: typer.Context, sections: tuple[str, ...], **options: Any) -> dict[str, Any]:
    """The report's document; on stderr, a note when the default month holds no data."""
    from abs_cli.kpi.report import kpi_document, last_month_with_data

    state = get_state(ctx)
    with state.store().session() as session:
        document = kpi_document(session, sections=sections, **options)
        if all(options.get(key) is None for key in ("period", "first", "last")):
            month = document["period"]["to"]
            latest = last_month_with_data(session, month)
            if latest is None:
                state.info(f"{month} holds no data: the store records nothing up to its end")
            elif latest != month:
                state.info(
                    f"{month} holds no data; the last month with data is {latest} "
                    f"(--period {latest})"
                )
    return document


@contextmanager
def _destination(path: Path | None) -> Iterator[IO[str] | None]:
    """stdout (None), or `path` written whole: into a temporary file beside it, renamed
    over it once complete, so a failed report never leaves half a page."""
    if path is None:
        yield None
        return
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            yield out
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UsageError(
            f"cannot write --output {str(path)!r}: {error.strerror or error}",
            hint="name a file in a folder that exists and that you may write to",
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _show(
    ctx: typer.Context,
    sections: tuple[str, ...],
    output: OutputFormat,
    by_month: bool,
    destination: Path | None = None,
    **options: Any,
) -> None:
    from abs_cli.render.kpi import report_view
    from abs_cli.render.output import render, to_json

    document = _document(ctx, sections, **options)
    with _destination(destination) as out:
        if output is OutputFormat.html:
            import json

            from abs_cli.render.html import kpi_page

            # The page is drawn from the JSON `--format json` prints, so its numbers are those.
            (out or sys.stdout).write(kpi_page(json.loads(to_json(document))))
        else:
            pyramid = len(sections) > 1
            view = report_view(document, sections, by_month=by_month, pyramid=pyramid)
            render(view, output, out)
    if destination is not None:
        get_state(ctx).info(f"wrote {destination}")


@app.command("report")
def report(
    ctx: typer.Context,
    period: PeriodOption = None,
    first: FromOption = None,
    last: ToOption = None,
    by_month: ByMonthOption = False,
    owner: OwnerOption = None,
    role: RoleOption = None,
    source: SourceOption = None,
    as_of: AsOfOption = None,
    settings: SettingsOption = None,
    mode: ModeOption = "cohort",
    playbook: PlaybookOption = None,
    output: FormatOption = OutputFormat.table,
    destination: OutputFileOption = None,
) -> None:
    """The full KPI report: pipeline, team, revenue, customers, enablement and the pyramid.

    --format html writes one self-contained page with charts (funnel, MRR and its
    movements, cohort retention, the pyramid, the team), printable on A4 landscape.

    Example: abs kpi report --from 2026-01 --to 2026-06 --format html -o kpi.html
    """
    from abs_cli.kpi.report import SECTIONS

    _show(
        ctx,
        SECTIONS,
        output,
        by_month,
        destination,
        period=period,
        first=first,
        last=last,
        owner=owner,
        role=role,
        source=source,
        as_of=as_of,
        settings_file=settings,
        mode=mode,
        playbook_file=playbook,
    )


def _section_command(name: str, summary: str, example: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        period: PeriodOption = None,
        first: FromOption = None,
        last: ToOption = None,
        by_month: ByMonthOption = False,
        owner: OwnerOption = None,
        role: RoleOption = None,
        source: SourceOption = None,
        as_of: AsOfOption = None,
        settings: SettingsOption = None,
        mode: ModeOption = "cohort",
        output: FormatOption = OutputFormat.table,
        destination: OutputFileOption = None,
    ) -> None:
        _show(
            ctx,
            (name,),
            output,
            by_month,
            destination,
            period=period,
            first=first,
            last=last,
            owner=owner,
            role=role,
            source=source,
            as_of=as_of,
            settings_file=settings,
            mode=mode,
        )

    command.__doc__ = f"{summary}\n\nExample: {example}"
    command.__name__ = name
    return command


app.command("funnel")(
    _section_command(
        "pipeline",
        "The pipeline: funnel with conversions, time in step, win rate, cycle, value, velocity.",
        "abs kpi funnel --period 2026-03 --mode period",
    )
)
app.command("revenue")(
    _section_command(
        "revenue",
        "Revenue: MRR movements, growth (the north star), churn, retention, LTV, CAC.",
        "abs kpi revenue --from 2026-01 --to 2026-06",
    )
)
app.command("team")(
    _section_command(
        "team",
        "The team: activities, meetings booked, wins per rep and role, speed-to-lead, goals.",
        "abs kpi team --role ae --period 2026-03",
    )
)
app.command("customers")(
    _section_command(
        "customers",
        "Customers: NPS, MAU, DAU/MAU, new users, feature adoption, campaigns, tickets.",
        "abs kpi customers --period 2026-03 --format json",
    )
)


@app.command("enablement")
def enablement(
    ctx: typer.Context,
    period: PeriodOption = None,
    first: FromOption = None,
    last: ToOption = None,
    as_of: AsOfOption = None,
    playbook: PlaybookOption = None,
    reps: Annotated[bool, typer.Option("--reps", help="Add each rep's ramp.")] = False,
    output: FormatOption = OutputFormat.table,
    destination: OutputFileOption = None,
) -> None:
    """Enablement: checklist completion and the conversion it goes with, content use and
    the win rate of deals with and without each piece, stale content, field feedback by
    step and tag with its trend, and ramp by hire cohort.

    Example: abs kpi enablement --from 2026-01 --to 2026-03 --reps
    """
    from abs_cli.render.enablement import ramp_section
    from abs_cli.render.kpi import report_view
    from abs_cli.render.output import render

    document = _document(
        ctx,
        ("enablement",),
        period=period,
        first=first,
        last=last,
        as_of=as_of,
        playbook_file=playbook,
    )
    with _destination(destination) as out:
        if output is OutputFormat.html:
            import json

            from abs_cli.render.html import kpi_page
            from abs_cli.render.output import to_json

            # The page is drawn from the JSON `--format json` prints, so its numbers are those.
            (out or sys.stdout).write(kpi_page(json.loads(to_json(document)), reps=reps))
        else:
            view = report_view(document, ("enablement",), by_month=False, pyramid=False)
            if reps:
                view.sections.append(ramp_section(document["enablement"]["ramp"]["reps"]))
            render(view, output, out)
    if destination is not None:
        get_state(ctx).info(f"wrote {destination}")


@app.command("check")
def check(
    ctx: typer.Context,
    checks: Annotated[
        list[str],
        typer.Argument(
            help="Thresholds like 'customer_churn_rate<=0.03' 'nps>=30'.",
            autocompletion=complete_check,
        ),
    ],
    period: PeriodOption = None,
    first: FromOption = None,
    last: ToOption = None,
    allow_null: Annotated[
        bool, typer.Option("--allow-null", help="A null metric passes instead of breaching.")
    ] = False,
    as_of: AsOfOption = None,
    settings: SettingsOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Check metrics against thresholds; exit 5 when any is breached (for cron).

    A metric that is null (zero denominator) counts as breached unless --allow-null.

    Example: abs kpi check 'customer_churn_rate<=0.03' 'nps>=30' 'mrr_growth_rate>0'
    """
    from abs_cli.errors import CheckBreached
    from abs_cli.kpi.checks import breached, evaluate, parse_check
    from abs_cli.render.kpi import metric_cell, show
    from abs_cli.render.output import Column, Report, Section, render

    document = _document(
        ctx,
        ("pipeline", "team", "revenue", "customers"),
        period=period,
        first=first,
        last=last,
        as_of=as_of,
        settings_file=settings,
    )
    metrics = document["metrics"]
    known = {key for key, value in metrics.items() if not isinstance(value, dict)}
    rows = evaluate([parse_check(text, known) for text in checks], metrics, allow_null=allow_null)
    shown = [{**row, "value": metric_cell(row["metric"], row["value"])} for row in rows]
    section = Section(
        f"KPI checks for {document['period']['from']}"
        + (
            ""
            if document["period"]["from"] == document["period"]["to"]
            else f" to {document['period']['to']}"
        ),
        [Column("check"), Column("value"), Column("status")],
        shown,
        key="checks",
    )
    render(Report([section], document=rows), output)
    failed = breached(rows)
    if failed:
        listed = "; ".join(
            f"{row['check']} (value {show(row['metric'], row['value'])})" for row in failed
        )
        raise CheckBreached(f"{len(failed)} of {len(rows)} checks breached: {listed}")
