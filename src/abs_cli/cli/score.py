"""`abs score`: Set up, backtest and calibrate the lead-scoring model."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Set up, backtest and calibrate the lead-scoring model.", no_args_is_help=True
)
