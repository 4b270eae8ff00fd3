"""`abs leads score`: rescore the leads, or explain one lead's score.

Registered onto the `leads` group from `cli/app.py`, so the leads module stays another
helper's; `abs score` (the model itself) lives in `cli/score.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from abs_cli.cli.options import FormatOption
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from abs_cli.render.output import Report, Section
    from abs_cli.scoring.engine import ScoreRun
    from abs_cli.scoring.explain import Explanation

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Scoring file (default: $ABS_SCORING, then the store's model, then the built-in).",
        dir_okay=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Score as of this date (end of day) or date-time, for reproducible scores "
        "(default: now).",
        show_default=False,
    ),
]


def score_leads(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    changed: Annotated[
        bool,
        typer.Option(
            "--changed", help="Only leads changed or given new activities since the last run."
        ),
    ] = False,
    explain: Annotated[
        str | None,
        typer.Option("--explain", metavar="EMAIL", help="Explain one lead's score, rule by rule."),
    ] = None,
    config: ConfigOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Score every lead 0-100 (fit + engagement + negative rules) and store the scores.

    The same --as-of always gives the same scores. Prints the leads by fit grade and by
    readiness; with --explain EMAIL, every rule that fired, its points, the decay and the
    caps, which add up to the score.

    Example: abs leads score --as-of 2026-03-31
    """
    from abs_cli.render.output import render
    from abs_cli.scoring.engine import parse_as_of
    from abs_cli.scoring.model import resolve_model

    state = get_state(ctx)
    moment = parse_as_of(as_of) if as_of else None
    store = state.store()
    if explain is not None:
        from abs_cli.scoring.explain import explain_lead

        if changed:
            from abs_cli.errors import UsageError

            raise UsageError("--explain scores one lead; it does not combine with --changed")

        with store.session() as session:
            explanation = explain_lead(session, explain, moment, resolve_model(session, config))
        render(explanation_report(explanation), output)
        return
    from abs_cli.scoring.engine import score_leads as run_scoring

    with store.session(write=True) as session:
        loaded = resolve_model(session, config)
        state.info(f"scoring with model {loaded.model.version} ({loaded.origin})")
        run = run_scoring(session, loaded, as_of=moment, changed_only=changed, read_ahead=True)
    state.info(f"scored {run.scored:,} leads as of {run.as_of:%Y-%m-%d %H:%M} UTC")
    render(run_report(run), output)


def run_report(run: ScoreRun) -> Report:
    from abs_cli.domain import GRADES, READINESS
    from abs_cli.render.output import Column, Report, Section

    def share(count: int) -> float | None:
        return count / run.scored if run.scored else None

    grades = [
        {"grade": grade, "leads": run.by_grade[grade], "share": share(run.by_grade[grade])}
        for grade in GRADES
    ]
    readiness = [
        {"readiness": name, "leads": run.by_readiness[name], "share": share(run.by_readiness[name])}
        for name in reversed(READINESS)
    ]
    counts = [Column("leads", kind="int"), Column("share", kind="bar")]
    document = {
        "scored": run.scored,
        "model_version": run.model_version,
        "as_of": run.as_of,
        "by_grade": {row["grade"]: row["leads"] for row in grades},
        "by_readiness": {row["readiness"]: row["leads"] for row in readiness},
    }
    return Report(
        [
            Section("Leads by fit grade", [Column("grade"), *counts], grades),
            Section("Leads by readiness", [Column("readiness"), *counts], readiness),
        ],
        document=document,
    )


def explanation_report(explanation: Explanation) -> Report:
    from abs_cli.render.output import Column, Report, Section

    summary = {
        "email": explanation.email,
        "score": explanation.score,
        "grade": explanation.grade,
        "level": explanation.level,
        "readiness": explanation.readiness,
        "fit": explanation.fit,
        "engagement": explanation.engagement,
        "negative": explanation.negative,
        "model_version": explanation.model_version,
        "as_of": explanation.as_of,
    }
    rows: list[dict[str, Any]] = [
        {
            "rule": line.rule,
            "part": line.part,
            "points": line.points,
            "count": line.count,
            "undecayed": line.undecayed,
            "decay": line.decay,
            "detail": line.detail,
        }
        for line in explanation.contributions
    ]
    columns = [
        Column("rule"),
        Column("part"),
        Column("points", kind="number", decimals=2),
        Column("count", kind="int"),
        Column("undecayed", kind="number", decimals=2),
        Column("decay", kind="number", decimals=4),
        Column("detail"),
    ]
    return Report(
        [
            Section.record(f"Score of {explanation.email}", summary),
            Section(
                "Contributions",
                columns,
                rows,
                caption=f"the points add up to the score, {explanation.score}",
            ),
        ],
        document=explanation.document(),
    )


def top_leads_section(rows: list[dict[str, Any]]) -> Section:
    """The leads to call first (`abs demo`)."""
    from abs_cli.render.output import Column, Section

    columns = [
        Column("email"),
        Column("name"),
        Column("title"),
        Column("company"),
        Column("owner"),
        Column("score", kind="int"),
        Column("rating"),
        Column("readiness"),
    ]
    return Section("Top leads to call", columns, rows)
