"""`abs score`: Set up, backtest and calibrate the lead-scoring model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from abs_cli.cli.options import FormatOption
from abs_cli.cli.scoring import ConfigOption
from abs_cli.cli.state import get_state
from abs_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from abs_cli.render.output import Report
    from abs_cli.scoring.backtest import Backtest
    from abs_cli.scoring.calibrate import Calibration

app = typer.Typer(
    help="Set up, backtest and calibrate the lead-scoring model.", no_args_is_help=True
)


@app.command("init")
def init(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="Where to write the scoring file.", dir_okay=False)
    ] = Path("scoring.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Also make the file (an existing one as it is) the store's model, used "
            "when neither --config nor ABS_SCORING is given.",
        ),
    ] = False,
) -> None:
    """Write the commented default scoring file, to edit and use with --config.

    Example: abs score init scoring.toml --store
    """
    from abs_cli.scoring.model import write_default

    state = get_state(ctx)
    written = write_default(path, force=force, keep_existing=store)
    if written:
        state.info(f"wrote the default scoring model to {path}")
    if store:
        from abs_cli.scoring.model import read_model_file, store_model

        loaded = read_model_file(path)
        with state.store().session(write=True) as session:
            store_model(session, loaded)
        state.info(f"the store now scores with model {loaded.model.version} from {path}")


@app.command("backtest")
def backtest(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only leads created on or after this date (YYYY-MM-DD).", show_default=False
        ),
    ] = None,
    config: ConfigOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """How well the model separates won leads from lost or disqualified ones.

    Each closed lead is scored as of its outcome. Prints the AUC, conversion by fit
    grade and by score decile, and the MQL/SQL thresholds' precision and recall.

    Example: abs score backtest --since 2025-01-01
    """
    from abs_cli.render.output import render
    from abs_cli.scoring.backtest import backtest as run_backtest
    from abs_cli.scoring.engine import parse_date
    from abs_cli.scoring.model import resolve_model

    start = parse_date(since, "--since") if since else None
    with get_state(ctx).store().session() as session:
        result = run_backtest(session, resolve_model(session, config), start)
    render(backtest_report(result), output)


@app.command("calibrate")
def calibrate(
    ctx: typer.Context,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply", help="Write the learned points as a new model version (the old kept)."
        ),
    ] = False,
    holdout: Annotated[
        float,
        typer.Option(help="Share of the newest closed leads held out to test on."),
    ] = 0.3,
    config: ConfigOption = None,
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="With --apply: write the new model to this file (default: over the model's "
            "own file, else into the store).",
            dir_okay=False,
        ),
    ] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Learn from won/lost history which fields and activities predict a win.

    Trains a logistic regression on the older closed leads (fields and activity counts
    before each outcome) and compares its hold-out AUC with the current model's.

    Example: abs score calibrate --holdout 0.3 --apply
    """
    from abs_cli.render.output import render
    from abs_cli.scoring.calibrate import calibrate as run_calibration
    from abs_cli.scoring.model import resolve_model, save_new_version

    state = get_state(ctx)
    with state.store().session(write=apply) as session:
        loaded = resolve_model(session, config)
        result = run_calibration(session, loaded, holdout)
        if apply and result.new_model_text and result.new_version:
            result.applied_to = save_new_version(
                session, loaded, result.new_model_text, result.new_version, to
            )
    if result.applied_to:
        state.info(f"wrote model {result.new_version} to {result.applied_to}")
    render(calibration_report(result), output)


def backtest_report(result: Backtest) -> Report:
    from abs_cli.render.output import Column, Report, Section

    summary = {
        "model_version": result.model_version,
        "leads": result.leads,
        "won": result.won,
        "lost": result.lost,
        "auc": result.auc,
    }
    rate = Column("conversion", kind="bar")
    return Report(
        [
            Section.record("Backtest", summary, {"auc": "number"}),
            Section(
                "Conversion by fit grade",
                [
                    Column("grade"),
                    Column("leads", kind="int"),
                    Column("won", kind="int"),
                    rate,
                ],
                result.by_grade,
            ),
            Section(
                "Conversion by score decile",
                [
                    Column("decile", kind="int"),
                    Column("min_score", "min score", kind="int"),
                    Column("max_score", "max score", kind="int"),
                    Column("leads", kind="int"),
                    Column("won", kind="int"),
                    rate,
                ],
                result.by_decile,
            ),
            Section(
                "Readiness thresholds",
                [
                    Column("readiness"),
                    Column("threshold", kind="number", decimals=0),
                    Column("flagged", kind="int"),
                    Column("won_flagged", "won flagged", kind="int"),
                    Column("precision", kind="rate"),
                    Column("recall", kind="rate"),
                ],
                result.thresholds,
            ),
        ],
        document=result.document(),
    )


def calibration_report(result: Calibration) -> Report:
    from abs_cli.render.output import Column, Report, Section

    rows = [
        {"model": f"current ({result.model_version})", **result.current},
        {"model": "learned", **result.learned},
    ]
    return Report(
        [
            Section(
                f"Hold-out: newest {result.test_leads} leads ({result.test_won} won); "
                f"trained on {result.train_leads} ({result.train_won} won)",
                [
                    Column("model"),
                    Column("auc", "AUC", kind="number", decimals=3),
                    Column("top_decile_conversion", "top-decile conversion", kind="rate"),
                ],
                rows,
            ),
            Section(
                "Learned weights (log-odds) and points",
                [
                    Column("feature"),
                    Column("weight", kind="number", decimals=3),
                    Column("points", kind="number", decimals=2),
                ],
                result.weights[:25],
                caption=None if result.applied_to else "use --apply to write them as a new model",
            ),
        ],
        document=result.document(),
    )
