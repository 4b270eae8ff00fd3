"""`abs score`: Set up, backtest and calibrate the lead-scoring model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from abs_cli.cli.state import get_state

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
